import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { COLLECTIONS } from "../store/collections.js";
import { CUSTOM_PROFILE, testCore } from "./testing/fixtures.js";

const M = parseMac("52:54:00:00:07:01");
const DAY = 24 * 3600_000;

test("a late completion arriving while a retention pass deletes that config leaves no index pointing at it", async () => {
  const { core, clock, store } = testCore({ limits: { historyDays: 90 } });
  await core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  const c = await core.configs.create({ machine: M, profile: "linux" });
  await core.configs.arm(c.id);
  await core.boot.machineScript({ mac: M });
  clock.advance(61_000);
  await core.configs.expireDue();
  clock.advance(91 * DAY);
  // The pass decides to delete the expired config; the machine's callback comes in before it commits that.
  const pass = core.retention.sweep();
  const late = core.configs.complete(c.secret).catch((err: Error) => err);
  await Promise.all([pass, late]);
  const newest = core.configs.newestFor(M);
  if (newest) assert.ok(store.get(COLLECTIONS.configs, newest.id), "the machine's newest config exists");
  const kept = store.get<{ lifecycle: { state: string } }>(COLLECTIONS.configs, c.id);
  assert.ok(!kept || kept.lifecycle.state === "completed");
});

test("a config the machine completes while a retention pass runs is kept: its completion is new", async () => {
  const { core, clock } = testCore({ limits: { historyDays: 90 } });
  await core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  const c = await core.configs.create({ machine: M, profile: "linux" });
  await core.configs.arm(c.id);
  await core.boot.machineScript({ mac: M });
  clock.advance(61_000);
  await core.configs.expireDue();
  clock.advance(91 * DAY);
  // The pass chose the long-expired config; the completion callback lands before the pass deletes it.
  const pass = core.retention.sweep();
  await core.configs.complete(c.secret);
  await pass;
  assert.equal(core.configs.get(c.id).lifecycle.state, "completed", "the config that just completed is kept");
  assert.equal(core.configs.stateOf(M), "completed");
});
