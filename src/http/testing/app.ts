import type { InjectOptions } from "fastify";
import type { CoreSettings } from "../../core/ports.js";
import { testCore } from "../../core/testing/fixtures.js";
import type { Role } from "../../domain/token.js";
import type { Store } from "../../store/store.js";
import { buildHttpServer, type HttpOptions } from "../server.js";

/** The HTTP app over a test core, with one token per role and an inject that sends one. */
export async function testApp(
  over: Partial<CoreSettings> = {},
  http: Partial<HttpOptions> = {},
  store?: Store,
) {
  const t = testCore(over, store);
  const app = buildHttpServer(t.core, { logger: false, ...http });
  const routes: string[] = [];
  app.addHook("onRoute", (r) => {
    for (const m of [r.method].flat()) if (m !== "HEAD") routes.push(`${m} ${r.url}`);
  });
  const tokens = {} as Record<Role, string>;
  for (const role of ["viewer", "operator", "admin", "agent"] as const) {
    tokens[role] = (await t.core.tokens.create(`test ${role}`, role)).token;
  }
  /** Injects a request with the given role's token (admin unless said otherwise). */
  const as = (role: Role | null, opts: InjectOptions | string) => {
    const o: InjectOptions = typeof opts === "string" ? { url: opts } : opts;
    const headers = { ...(o.headers ?? {}), ...(role ? { authorization: `Bearer ${tokens[role]}` } : {}) };
    return app.inject({ ...o, headers });
  };
  await app.ready();
  return { ...t, http: app, tokens, as, routes, api: (opts: InjectOptions | string) => as("admin", opts) };
}
