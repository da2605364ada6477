// The poller (fake driver): asks status of machines whose driver can tell, writes power-states only on a
// change, records a BMC's error in the state record without filling the timeline, and skips Wake-on-LAN.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { COLLECTIONS } from "../store/collections.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { createCore } from "./create-core.js";
import { PowerPoller } from "./power-poller.js";
import { FakePowerDriver } from "./testing/fake-power-driver.js";
import { ManualClock } from "./testing/fixtures.js";

const A = parseMac("52:54:00:00:16:21");
const B = parseMac("52:54:00:00:16:22");
const W = parseMac("52:54:00:00:16:23");

test("fake driver: a poll writes each state once, only on change, and a BMC's error without timeline noise", async () => {
  const ipmi = new FakePowerDriver("ipmi");
  const wol = new FakePowerDriver("wol", ["on"]);
  const store = new MemoryStore();
  const settings = { publicUrl: "http://enf.test", retryWindowMs: 60_000, discovery: false, remotes: [] };
  const core = createCore(store, settings, new ManualClock(), { powerKey: randomBytes(32) }, undefined, {
    drivers: [ipmi, wol],
  });
  for (const m of [A, B, W]) await core.machines.register(m, {});
  await core.power.set(A, { driver: "ipmi", address: "10.0.0.1", username: "u", password: "p" });
  await core.power.set(B, { driver: "ipmi", address: "10.0.0.2", username: "u", password: "p" });
  await core.power.set(W, { driver: "wol" });
  let writes = 0;
  store.onApplied((ops) => (writes += ops.length));
  const poller = new PowerPoller(core.power);
  ipmi.chassis.set(A, "on");
  assert.deepEqual(await poller.poll(), { asked: 2, failed: 0, skipped: 0 });
  assert.deepEqual(
    [A, B, W].map((m) => core.power.get(m).state.state),
    ["on", "off", "unknown"],
  );
  const first = writes;
  assert.ok(first > 0);
  await poller.poll();
  assert.equal(writes, first, "nothing changed: nothing written");
  ipmi.behave(B, { kind: "fail", code: "ENF_ERR_POWER_UNREACHABLE", message: "no route to 10.0.0.2" });
  assert.deepEqual(await poller.poll(), { asked: 2, failed: 1, skipped: 0 });
  assert.deepEqual(core.power.get(B).state.error, {
    code: "ENF_ERR_POWER_UNREACHABLE",
    message: "no route to 10.0.0.2",
  });
  const afterError = writes;
  await poller.poll();
  assert.equal(writes, afterError, "the same error again: nothing written");
  const kinds = [A, B].flatMap((m) => core.events.forMachine(m).map((e) => e.kind));
  assert.deepEqual(
    kinds.filter((k) => k !== "power.set" && k !== "machine.created"),
    ["power.state", "power.state"],
    "A and B each went from unknown once; polls and the error add nothing else",
  );
  assert.equal(wol.calls.length, 0);
  assert.equal(store.get(COLLECTIONS.powerStates, W), undefined);
});
