// Property tests of every /api/v1 route with a valid admin token: generated JSON bodies, path parameters and
// query strings never give a 5xx, every refusal has the ENF_ERR_* shape, and a refusal stores nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { CUSTOM_PROFILE } from "../../core/testing/fixtures.js";
import { MemoryStore } from "../../store/testing/fake-stores.js";
import { testApp } from "../testing/app.js";

/** Bounded in count and in time: a slow machine runs fewer cases, never a longer test. */
const RUNS = { numRuns: 2500, interruptAfterTimeLimit: 15_000 } as const;
const MAC = "52:54:00:00:00:01";
/** Streams that never end by themselves: exercised with fixed input below, not by the fuzzer. */
const STREAMS = new Set(["GET /api/v1/events", "GET /api/v1/agent/commands"]);

/** Every field name any API body has, so generated bodies reach past "unknown field" into the handlers. */
const FIELDS = [
  "name",
  "family",
  "location",
  "provisioning",
  "image",
  "kernel",
  "initrds",
  "cmdline",
  "ipxe",
  "extraArgs",
  "console",
  "variables",
  "machine",
  "profile",
  "mac",
  "hostname",
  "labels",
  "type",
  "enabled",
  "url",
  "remotes",
  "role",
  "macs",
  "inventory",
  "ok",
  "detail",
];

const text = fc.oneof(
  fc.constantFrom(
    "",
    MAC,
    "52-54-00-00-00-02",
    "linux",
    "debian",
    "custom",
    "ipxe",
    "reboot",
    "viewer",
    "admin",
    "http://10.0.0.1:8080",
    "http://img/d.ipxe",
    "http://a b",
    "http://x/${net0/mac}",
    "{{ hostname }}",
    "{% raw %}",
    "{{ facts.__proto__ }}",
    "node-1",
    "Bad Host!",
    "__proto__",
    "constructor",
    "a\nchain http://evil",
    "é",
  ),
  fc.string({ maxLength: 30 }),
  fc.nat({ max: 5000 }).map((n) => "x".repeat(n)),
);
const mac = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 })
  .map((b) => b.map((x) => x.toString(16).padStart(2, "0")).join(":"));
/** Maps as `variables`, `labels` or `inventory`: good and bad keys, string and non-string values. */
const map = fc.dictionary(
  fc.oneof(
    fc.constantFrom("rack", "hash", "a_b", "bad-key", "Bad Key!", "", "__proto__", "9lives"),
    fc.string({ maxLength: 8 }),
  ),
  fc.oneof({ arbitrary: text, weight: 4 }, { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 }),
  { minKeys: 1, maxKeys: 3 },
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  map,
  mac,
  text,
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(text, { maxLength: 4 }),
  fc.dictionary(fc.oneof(text, fc.constantFrom("rack", "hash", "a_b")), text, { maxKeys: 4 }),
);
/** A valid body per route, which the generator then bends one field at a time. */
const VALID: Record<string, Record<string, unknown>> = {
  "POST /api/v1/profiles": { name: "p1", family: "custom", kernel: "http://m/k" },
  "PUT /api/v1/profiles/:name": { name: "linux", family: "custom", kernel: "http://m/k" },
  "POST /api/v1/profiles/:name/preview": { machine: MAC },
  "POST /api/v1/configs": { machine: MAC, profile: "linux" },
  "POST /api/v1/machines": { mac: "52:54:00:00:00:09", hostname: "node-9" },
  "PATCH /api/v1/machines/:id": { hostname: "node-1", labels: { rack: "r1" } },
  "POST /api/v1/commands": { machine: MAC, type: "reboot" },
  "PUT /api/v1/discovery": { enabled: true, url: "http://img/d.ipxe" },
  "PUT /api/v1/remotes": { remotes: ["http://10.0.0.1:8080"] },
  "POST /api/v1/tokens": { name: "n", role: "viewer" },
  "POST /api/v1/agent/report": { macs: [MAC], inventory: { cpu: { model: "x" } } },
  "POST /api/v1/agent/commands/:id": { ok: true },
};
const bent = (valid: Record<string, unknown>) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          { arbitrary: fc.constantFrom(...Object.keys(valid), "variables", "labels"), weight: 3 },
          { arbitrary: fc.constantFrom(...FIELDS), weight: 1 },
        ),
        fc.oneof({ arbitrary: map, weight: 2 }, { arbitrary: value, weight: 3 }),
        fc.boolean(),
      ),
      { minLength: 1, maxLength: 2 },
    )
    .map((changes) => {
      const b: Record<string, unknown> = { ...valid };
      for (const [k, v, drop] of changes) {
        if (drop) delete b[k];
        else b[k] = v;
      }
      return b;
    });
const bodyFor = (route: string): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constant(undefined),
    fc.jsonValue({ maxDepth: 4 }),
    fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 }),
    ...(VALID[route] ? [fc.constant(VALID[route]), bent(VALID[route])] : []),
  );
const QUERY_KEYS = [
  "search",
  "label",
  "state",
  "limit",
  "offset",
  "machine",
  "after",
  "mac",
  "format",
  "wait",
];
const query = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 8 })),
      fc.oneof(text, fc.integer().map(String)),
    ),
    { maxLength: 5 },
  )
  .map((pairs) => new URLSearchParams(pairs).toString());

test("every API route: generated bodies and queries never 5xx, refusals are coded and store nothing", async () => {
  const store = new MemoryStore();
  const t = await testApp({}, {}, store);
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "echo {{ hostname }}\n" });
  await t.core.machines.ensure(MAC as never);
  const config = await t.core.configs.create({ machine: MAC, profile: "linux" });
  const command = await t.core.commands.enqueue(MAC, "reboot");
  const token = await t.core.tokens.create("fuzz", "viewer");
  const routes = [...new Set(t.routes)].filter((r) => r.includes(" /api/v1/") && !STREAMS.has(r));
  assert.ok(routes.length >= 25, routes.join("\n"));
  const param = fc.oneof(
    fc.constantFrom(MAC, "52-54-00-00-00-01", config.id, command.id, token.info.id, "linux", "nope"),
    fc.constantFrom(MAC, config.id, "linux"),
    text.map((s) => encodeURIComponent(s)),
  );

  const accepted = new Set<string>();
  const refused = new Set<string>();
  /** One request and what must hold of its answer and of the store after it. */
  const probe = async ([route, b]: [string, unknown], p: string, q: string) => {
    const [method, pattern] = route.split(" ") as [string, string];
    const url = pattern.replace(/:[a-z]+/g, p) + (q ? `?${q}` : "");
    const before = store.commits.length;
    const r = await t.api({
      method: method as "GET",
      url,
      ...(b === undefined
        ? {}
        : { payload: JSON.stringify(b), headers: { "content-type": "application/json" } }),
    });
    const what = `${method} ${url.slice(0, 160)} ${JSON.stringify(b)?.slice(0, 200)} -> ${r.statusCode} ${r.body.slice(0, 300)}`;
    assert.ok(r.statusCode < 500, what);
    (r.statusCode < 300 ? accepted : refused).add(route);
    if (r.statusCode >= 400) {
      const e = r.json() as Record<string, unknown>;
      assert.match(String(e.code), /^ENF_ERR_[A-Z_]+$/, what);
      assert.equal(typeof e.message, "string", what);
      assert.ok(e.details && typeof e.details === "object" && !Array.isArray(e.details), what);
      assert.deepEqual(Object.keys(e).sort(), ["code", "details", "message"], what);
      assert.equal(store.commits.length, before, `a refusal stored something: ${what}`);
    } else {
      if (r.statusCode !== 204) assert.doesNotThrow(() => JSON.parse(r.body), what);
      assertStoredValid(store, what);
    }
  };
  const anyRoute = fc.constantFrom(...routes).chain((r) => fc.tuple(fc.constant(r), bodyFor(r)));
  await fc.assert(fc.asyncProperty(anyRoute, param, query, probe), RUNS);
  // Then the writes again, each with a valid body bent one or two fields: deeper into the handlers.
  const writes = routes.filter((r) => VALID[r]);
  const bentWrite = fc.constantFrom(...writes).chain((r) => fc.tuple(fc.constant(r), bent(VALID[r]!)));
  await fc.assert(
    fc.asyncProperty(bentWrite, fc.constantFrom(MAC, config.id, "linux"), fc.constant(""), probe),
    RUNS,
  );
  // The generators reach the handlers, not only the schemas: most routes both accepted and refused something.
  assert.ok(accepted.size >= 15 && refused.size >= 20, [...accepted].join(", "));
});

/** What was accepted is what the schemas promise: string maps with valid keys, valid host names. */
function assertStoredValid(store: MemoryStore, what: string): void {
  const stringMap = (m: unknown, key: RegExp) =>
    m !== null &&
    typeof m === "object" &&
    Object.entries(m).every(([k, v]) => key.test(k) && typeof v === "string");
  for (const c of store.all<{ variables: unknown }>("configs"))
    assert.ok(stringMap(c.variables, /^[A-Za-z_][A-Za-z0-9_]{0,63}$/), `config variables: ${what}`);
  for (const p of store.all<{ variables?: unknown }>("profiles"))
    assert.ok(p.variables === undefined || stringMap(p.variables, /^[A-Za-z_][A-Za-z0-9_]{0,63}$/), what);
  for (const m of store.all<{ labels: unknown; hostname?: string }>("machines")) {
    assert.ok(stringMap(m.labels, /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/), `labels: ${what}`);
    if (m.hostname !== undefined) assert.match(m.hostname, /^[a-z0-9.-]{1,253}$/, what);
  }
}

test("the streaming routes refuse bad queries with the same shape", async () => {
  const t = await testApp();
  for (const url of [
    "/api/v1/events?after=-1",
    "/api/v1/events?machine=not-a-mac",
    "/api/v1/events?after=x",
    "/api/v1/events?bogus=1",
    "/api/v1/agent/commands?wait=999",
    "/api/v1/agent/commands?format=xml",
    "/api/v1/agent/commands?mac=zz",
  ]) {
    const r = await t.api(url);
    assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${url} -> ${r.statusCode} ${r.body.slice(0, 200)}`);
    assert.match(r.json().code, /^ENF_ERR_[A-Z_]+$/, url);
  }
});
