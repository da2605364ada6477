// The live stream with several instances (fake shared store): events recorded on any instance reach a
// stream on another, in apply order, and a reconnect with Last-Event-ID misses none, although each
// instance numbers its events from its own block (docs/store.md "Several instances").
import assert from "node:assert/strict";
import { test } from "node:test";
import { testCore } from "../../core/testing/fixtures.js";
import { SharedMemoryEngine } from "../../store/testing/shared-memory-store.js";
import { buildHttpServer } from "../server.js";

/** Reads an event stream's ids until `n` have come (or 5 s passed). */
async function ids(url: string, token: string, n: number, lastId?: number): Promise<number[]> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (lastId !== undefined) headers["last-event-id"] = String(lastId);
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 5000);
  const res = await fetch(url, { headers, signal: ac.signal });
  const got: number[] = [];
  let text = "";
  try {
    for await (const chunk of res.body!) {
      text += Buffer.from(chunk).toString();
      got.splice(0, got.length, ...[...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1])));
      if (got.length >= n) break;
    }
  } catch {
    // aborted: what came is the answer
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return got;
}

test("fake shared store: a stream on one instance gets the other's events live and on reconnect, in apply order", async () => {
  const engine = new SharedMemoryEngine();
  const a = testCore({}, engine.view());
  const b = testCore({}, engine.view());
  await Promise.all([a.core.events.ready(), b.core.events.ready()]);
  const app = buildHttpServer(b.core, { logger: false });
  await app.listen({ port: 0, host: "127.0.0.1" });
  try {
    const { port } = app.server.address() as { port: number };
    const token = (await b.core.tokens.create("watcher", "viewer")).token;
    const url = `http://127.0.0.1:${port}/api/v1/events`;
    const record = async (t: typeof a, machine: string) => {
      const r = t.core.events.record("machine.seen", machine, new Date().toISOString());
      await t.store.commit([r.op]);
    };
    // Alternating instances: their seqs come from two blocks, so the numbers jump back and forth.
    const live = ids(url, token, 6);
    await new Promise((r) => setTimeout(r, 100)); // the stream is connected
    for (let i = 0; i < 6; i++) await record(i % 2 ? b : a, `m${i}`);
    const heard = await live;
    assert.equal(heard.length, 6, `all six live, from both instances: ${heard}`);
    assert.ok(
      heard.some((s, i) => i > 0 && s < heard[i - 1]!),
      `the seqs are not rising: ${heard}`,
    );
    // A client that got the first three reconnects (to this instance) and gets exactly the last three.
    assert.deepEqual(await ids(url, token, 3, heard[2]), heard.slice(3));
  } finally {
    app.server.closeAllConnections(); // fetch keeps its aborted streams' sockets for a while
    await app.close();
  }
});
