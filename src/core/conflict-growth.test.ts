// Identity conflicts raised by discovery keys (which anyone can get for invented MACs) were capped only per
// reporting machine (32) times the unknown-machine cap (10,000): up to 320,000 records of up to 64
// identities each. On the real server 300 invented reporters made 9,600 records, RSS 94 -> 402 MB, and
// GET /api/v1/conflicts answered 35 MB. A saturated record was also rewritten (with two events) by every
// report naming one more identity that no longer fit.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { IdentityConflict } from "../domain/identity-claims.js";
import { parseMac, type Mac } from "../domain/mac.js";
import { COLLECTIONS } from "../store/collections.js";
import { testCore } from "./testing/fixtures.js";

const mac = (a: number, b: number, c: number): Mac =>
  parseMac(`0a:${[a, b, c].map((x) => x.toString(16).padStart(2, "0")).join(":")}:00:01`);
const discovery = (m: Mac) => ({ kind: "discovery" as const, mac: m });

/** Invented machines, each holding `width` MACs, made the way an attacker makes them: discovery reports. */
async function holders(core: ReturnType<typeof testCore>["core"], n: number, width: number) {
  for (let b = 0; b < n; b++) {
    const macs = Array.from({ length: width }, (_, i) => mac(2, b, i));
    await core.agentReports.report(discovery(mac(1, b, 0)), [mac(1, b, 0)], { macs });
  }
}

test("conflicts raised by discovery keys are capped in all, however many MACs are invented", async () => {
  const { core, store } = testCore({ limits: { maxAnonymousConflicts: 50 } });
  await holders(core, 10, 2);
  for (let r = 0; r < 20; r++) {
    const self = mac(3, 0, r);
    const claimed = Array.from({ length: 10 }, (_, b) => mac(2, b, 0));
    await core.agentReports.report(discovery(self), [self], { macs: claimed });
    // The clash is still refused: nothing of the holders moves.
    assert.equal(core.machines.find(mac(2, 0, 0))?.id, mac(1, 0, 0));
  }
  assert.equal(store.count(COLLECTIONS.conflicts), 50);
});

test("a record that cannot take more identities is not rewritten by every report", async () => {
  const { core, store } = testCore();
  // A machine holding more MACs than a record lists (a merge adds up both machines' NICs).
  const holder = mac(1, 0, 0);
  const macs = [holder, ...Array.from({ length: 99 }, (_, i) => mac(2, 0, i))];
  const now = new Date().toISOString();
  const machine = {
    id: holder,
    macs,
    labels: {},
    facts: {},
    firstSeen: now,
    lastSeen: now,
    origin: "agent" as const,
  };
  await store.commit([core.machines.putOp(machine)]);
  const self = mac(3, 0, 0);
  const first = macs.slice(1, 71);
  await core.agentReports.report(discovery(self), [self], { macs: first });
  const [c] = [...store.all<IdentityConflict>(COLLECTIONS.conflicts)];
  assert.equal(c?.identities.length, 64);
  const events = core.events.count();
  for (let i = 71; i < 100; i++)
    await core.agentReports.report(discovery(self), [self], { macs: [...first, macs[i]!] });
  assert.equal(
    core.events.count() - events,
    29,
    "one machine.updated per report (new facts), no conflict events",
  );
});

test("invented reporters cannot flush a real machine's history with conflict events", async () => {
  const { core } = testCore();
  const real = mac(9, 0, 1);
  await core.machines.register(real, { hostname: "db1" });
  await core.machines.update(real, { hostname: "db2" });
  const before = core.events.forMachine(real).map((e) => e.seq);
  for (let r = 0; r < 300; r++) {
    const self = mac(4, r >> 8, r & 255);
    await core.agentReports.report(discovery(self), [self], { macs: [real] });
  }
  const after = core.events.forMachine(real);
  assert.ok(after.length <= before.length + 16, `${after.length} events on the real machine`);
  assert.deepEqual(
    after.slice(0, before.length).map((e) => e.seq),
    before,
    "its own history is still there",
  );
  // A conflict is still refused: the real machine keeps its MAC.
  assert.equal(core.machines.find(real)?.id, real);
});
