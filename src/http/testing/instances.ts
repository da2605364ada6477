import { SharedMemoryEngine } from "../../store/testing/shared-memory-store.js";
import type { CoreSettings } from "../../core/ports.js";
import type { HttpOptions } from "../server.js";
import { testApp } from "./app.js";

/** Waits until `ok()` holds (a change another instance made reaching this one), or fails after `ms`. */
export async function until(ok: () => boolean, what: string, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Two Enforcer instances, A and B, each its own core and HTTP app over its own view of one fake shared
 * store (as two processes over one etcd): what one commits reaches the other through its change feed.
 */
export async function twoInstances(
  over: { a?: Partial<CoreSettings>; b?: Partial<CoreSettings> } = {},
  http: Partial<HttpOptions> = {},
) {
  const engine = new SharedMemoryEngine();
  const a = await testApp({ publicUrl: "http://a.test:8080", ...over.a }, http, engine.view());
  const b = await testApp({ publicUrl: "http://b.test:8080", ...over.b }, http, engine.view());
  // Each claims its first block of event seqs (a lost claim pauses on an unref'd timer: keep the loop alive).
  const alive = setInterval(() => {}, 20);
  await Promise.all([a.core.events.ready(), b.core.events.ready()]).finally(() => clearInterval(alive));
  // Each made its own test tokens: both hear all of them before a test starts.
  await until(() => a.store.count("tokens") === 8 && b.store.count("tokens") === 8, "the tokens of both");
  const close = async () => {
    await a.http.close();
    await b.http.close();
    await a.store.close();
    await b.store.close();
  };
  return { engine, a, b, close };
}
