import assert from "node:assert/strict";
import { test } from "node:test";
import type { IdentityConflict } from "../domain/identity-claims.js";
import { parseMac } from "../domain/mac.js";
import { COLLECTIONS } from "../store/collections.js";
import { testCore } from "./testing/fixtures.js";

const X = parseMac("02:00:00:00:04:01");
const Y = parseMac("02:00:00:00:04:02");
const R = parseMac("02:00:00:00:04:03");

test("a report that clashes with the least recently seen unknown machine does not evict it in the same commit", async () => {
  const { core, clock, store } = testCore({ limits: { maxUnknownMachines: 2 } });
  await core.boot.machineScript({ mac: X });
  clock.advance(1000);
  await core.boot.machineScript({ mac: Y });
  clock.advance(1000);
  // A new discovery machine names X's MAC: a conflict with X, and a third unknown machine past the cap of 2.
  const key = { kind: "discovery", mac: R, machine: R, issuedAt: clock.now().toISOString() } as const;
  const r = await core.agentReports.report(key, [R, X], {});
  assert.equal(r.conflicts.length, 1);
  for (const c of store.all<IdentityConflict>(COLLECTIONS.conflicts)) {
    assert.ok(store.get(COLLECTIONS.machines, c.machine), `conflict ${c.id}: its reporter exists`);
    assert.ok(store.get(COLLECTIONS.machines, c.other), `conflict ${c.id}: the machine it names exists`);
  }
  assert.ok(core.machines.find(X), "the machine the new conflict names is kept");
  assert.equal(core.machines.find(Y), undefined, "the next least recently seen goes instead");
  // Before, X left the cap's index without being deleted (its new event was not stored yet, so it looked
  // claimed): each such report took one invented machine out of the cap for good, until a restart.
  assert.equal(core.unknown.count(), store.count(COLLECTIONS.machines));
});
