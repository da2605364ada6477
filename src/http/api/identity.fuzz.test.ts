// Property: arbitrary agent reports (random MAC lists, inventories naming random or other machines' MACs,
// UUIDs and serials, in any notation) under discovery keys and an agent token never change another machine,
// never make its armed config reachable, and always answer success or a coded error. Bounded in runs and time.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { CUSTOM_PROFILE } from "../../core/testing/fixtures.js";
import { testApp } from "../testing/app.js";

const B = { macs: ["52:54:00:bb:00:0b", "52:54:00:bb:00:2b"], uuid: "bbbbbbbb-0000-4000-8000-00000000000b" };
const C = { macs: ["52:54:00:cc:00:0c"], uuid: "cccccccc-0000-4000-8000-00000000000c" };
const SPEAKERS = ["52:54:00:aa:00:01", "52:54:00:aa:00:02", "52:54:00:aa:00:03"];

/** A MAC in one of the notations the API accepts, upper or lower case. */
const notation = (mac: string) =>
  fc.constantFrom(
    mac,
    mac.toUpperCase(),
    mac.replaceAll(":", "-"),
    mac.replaceAll(":", ""),
    `${mac.replaceAll(":", "").slice(0, 4)}.${mac.replaceAll(":", "").slice(4, 8)}.${mac.replaceAll(":", "").slice(8)}`,
  );
const randomMac = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 3, maxLength: 3 })
  .map((b) => `52:54:00:${b.map((x) => x.toString(16).padStart(2, "0")).join(":")}`);
const anyMac = fc.oneof(
  fc.constantFrom(...B.macs, ...C.macs, ...SPEAKERS).chain(notation),
  randomMac,
  fc.string({ maxLength: 20 }),
);
const uuid = fc.oneof(
  fc.constantFrom(B.uuid, C.uuid, `{${B.uuid.toUpperCase()}}`, "00000000-0000-0000-0000-000000000000"),
  fc.uuid(),
  fc.string({ maxLength: 40 }),
  fc.integer(),
);
const serial = fc.oneof(fc.constantFrom("SN-B", " SN-B ", "SN-C", "none"), fc.string({ maxLength: 20 }));
const inventory = fc.record(
  {
    macs: fc.array(fc.oneof(anyMac, fc.integer(), fc.constant(null)), { maxLength: 8 }),
    uuid,
    serial,
    cpu: fc.record({ model: fc.string({ maxLength: 16 }) }),
    extra: fc.jsonValue({ maxDepth: 3 }),
  },
  { requiredKeys: [] },
);

test("fuzz: reports under discovery keys and an agent token never change another machine", async () => {
  const t = await testApp({
    discovery: true,
    discoveryKernel: "http://img/vmlinuz",
    discoveryInitrd: "http://img/initrd.gz",
  });
  const key = async (mac: string) =>
    /enforcer\.key=(\S+)/.exec((await t.http.inject(`/boot/machine?mac=${mac}`)).body)![1]!;
  // B and C: inventoried through their own keys, B armed.
  for (const [m, serialOf] of [
    [B, "SN-B"],
    [C, "SN-C"],
  ] as const) {
    const k = await key(m.macs[0]!);
    const r = await t.http.inject({
      method: "POST",
      url: "/api/v1/agent/report",
      payload: {
        macs: m.macs,
        inventory: { macs: m.macs, uuid: m.uuid, serial: serialOf, cpu: { model: "x" } },
      },
      headers: { authorization: `Bearer ${k}` },
    });
    assert.equal(r.statusCode, 200, r.body);
  }
  await t.core.profiles.create(CUSTOM_PROFILE);
  const config = await t.core.configs.create({ machine: B.macs[0]!, profile: "linux" });
  await t.core.configs.arm(config.id);
  const protectedIds = [B.macs[0]!, C.macs[0]!];
  const before = protectedIds.map((id) => JSON.stringify(t.core.machines.get(id)));
  const keys = await Promise.all(SPEAKERS.map(key));
  // The agent token's first report binds it (trust on first use, docs/security.md): here to a machine of its own.
  const bound = await t.as("agent", {
    method: "POST",
    url: "/api/v1/agent/report",
    payload: { macs: ["52:54:00:aa:00:09"], inventory: {} },
  });
  assert.equal(bound.statusCode, 200);
  // Wrong keys are left out: 20 of them make the address wait (429), which would hide everything after.
  const credentials = [...keys, t.tokens.agent];

  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: credentials.length - 1 }),
      fc.array(anyMac, { minLength: 0, maxLength: 6 }),
      fc.boolean(),
      inventory,
      async (who, macs, includeOwn, inv) => {
        const own = who < SPEAKERS.length && includeOwn ? [SPEAKERS[who]!] : [];
        const r = await t.http.inject({
          method: "POST",
          url: "/api/v1/agent/report",
          payload: { macs: [...own, ...macs], inventory: inv },
          headers: { authorization: `Bearer ${credentials[who]}` },
        });
        if (r.statusCode !== 200) {
          assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${r.statusCode} ${r.body}`);
          assert.match(r.json().code, /^ENF_ERR_[A-Z_]+$/);
        }
        protectedIds.forEach((id, i) =>
          assert.equal(JSON.stringify(t.core.machines.get(id)), before[i], `${id} changed`),
        );
      },
    ),
    { numRuns: 200, interruptAfterTimeLimit: 30_000 },
  );
  // No other MAC reaches B's armed config, and it was never triggered.
  for (const mac of [...SPEAKERS, ...C.macs]) {
    const boot = await t.http.inject(`/boot/machine?mac=${mac}`);
    assert.doesNotMatch(boot.body, /mirror\/vmlinuz/, mac);
  }
  assert.equal(t.core.configs.get(config.id).lifecycle.state, "armed");
  // Conflicts stay bounded however many reports clashed.
  assert.ok(t.core.conflicts.list({ state: "all" }).length <= 4 * 32);
});
