import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { createCore } from "./create-core.js";
import { CUSTOM_PROFILE, testCore } from "./testing/fixtures.js";

const REAL = parseMac("52:54:00:00:03:01");
const DAY = 24 * 3600_000;
const hex = (n: number) => (n & 255).toString(16).padStart(2, "0");
const invented = (i: number) => parseMac(`02:00:00:${hex(i >> 16)}:${hex(i >> 8)}:${hex(i)}`);

/** A machine that first booted unknown, then got a config the operator armed, booted and completed. */
async function provisioned(limits = {}) {
  const store = new MemoryStore();
  const t = testCore({ limits }, store);
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  await t.core.boot.machineScript({ mac: REAL });
  const c = await t.core.configs.create({ machine: REAL, profile: "linux" });
  await t.core.configs.arm(c.id);
  assert.equal((await t.core.boot.machineScript({ mac: REAL })).kind, "config");
  await t.core.configs.complete(t.core.configs.get(c.id).secret);
  return { ...t, store };
}

test("a provisioned machine stays kept after retention deletes its old config and history", async () => {
  const { core, clock } = await provisioned({ historyDays: 90 });
  assert.equal(core.unknown.isUnknown(REAL), false);
  // The host runs from its disk for months: no PXE request, so no new last-seen time.
  clock.advance(91 * DAY);
  await core.retention.sweep();
  clock.advance(600_000);
  await core.retention.sweep();
  assert.ok(core.machines.find(REAL), "the provisioned machine is not aged out as if anonymous");
  assert.equal(core.unknown.isUnknown(REAL), false);
});

test("after its config is pruned, a flood of invented MACs does not evict a provisioned machine", async () => {
  const { core, clock } = await provisioned({ historyDays: 90, maxUnknownMachines: 3 });
  clock.advance(91 * DAY);
  await core.boot.machineScript({ mac: REAL });
  await core.retention.sweep();
  for (let i = 0; i < 10; i++) await core.boot.machineScript({ mac: invented(i) });
  assert.ok(core.machines.find(REAL));
});

test("kept across a restart: the claim is on the machine's record, not derived from pruned history", async () => {
  const { core, clock, store } = await provisioned({ historyDays: 90 });
  clock.advance(91 * DAY);
  await core.retention.sweep();
  const again = createCore(store, core.settings, clock);
  assert.equal(again.unknown.isUnknown(REAL), false);
  clock.advance(600_000);
  await again.retention.sweep();
  assert.ok(again.machines.find(REAL));
});

test("a MAC booting again after the operator forgot its machine is unknown again, not kept by that event", async () => {
  const { core } = testCore({ limits: { maxUnknownMachines: 2 } });
  await core.boot.machineScript({ mac: invented(100) });
  await core.machines.forget(invented(100), () => false);
  await core.boot.machineScript({ mac: invented(100) });
  assert.equal(core.unknown.isUnknown(invented(100)), true);
  for (let i = 0; i < 5; i++) await core.boot.machineScript({ mac: invented(i) });
  assert.equal(core.machines.find(invented(100)), undefined, "evicted like any invented machine");
});

test("an operator's edit keeps a machine even once the edit is undone (labels cleared)", async () => {
  const { core } = testCore({ limits: { maxUnknownMachines: 2 } });
  await core.boot.machineScript({ mac: invented(200) });
  await core.machines.update(invented(200), { labels: { rack: "r1" } });
  await core.machines.update(invented(200), { labels: {} });
  assert.equal(core.unknown.isUnknown(invented(200)), false);
  for (let i = 0; i < 5; i++) await core.boot.machineScript({ mac: invented(i) });
  assert.ok(core.machines.find(invented(200)));
});

test("a machine stored by an older version (claimed by its config, no mark) is marked before the config goes", async () => {
  const { core, clock, store } = await provisioned({ historyDays: 90 });
  const { kept: _, ...old } = core.machines.get(REAL);
  await store.commit([{ op: "put", collection: "machines", id: REAL, value: old }]);
  const upgraded = createCore(store, core.settings, clock);
  clock.advance(91 * DAY);
  await upgraded.retention.sweep();
  assert.equal(upgraded.machines.get(REAL).kept, true);
  const restarted = createCore(store, core.settings, clock);
  clock.advance(600_000);
  await restarted.retention.sweep();
  assert.ok(restarted.machines.find(REAL));
});
