// A reboot command through power control (fake driver): pxe-once then cycle, each step on the timeline
// with the command's id; a failed boot override cycles nothing; Wake-on-LAN wakes only a machine not seen
// on; with agent,power a machine whose JSON agent polled lately is left to it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import type { AgentReach } from "./agent-reach.js";
import { createCore } from "./create-core.js";
import { AGENT_POLL_WINDOW_MS, type RebootOrder } from "./power-executor.js";
import { FakePowerDriver } from "./testing/fake-power-driver.js";
import { ManualClock } from "./testing/fixtures.js";

const M = parseMac("52:54:00:00:16:11");
const IPMI = { driver: "ipmi" as const, address: "10.0.0.5", username: "admin", password: "pw" };

async function setup(rebootOrder?: RebootOrder) {
  const ipmi = new FakePowerDriver("ipmi");
  const wol = new FakePowerDriver("wol", ["on"]);
  const clock = new ManualClock();
  const settings = { publicUrl: "http://enf.test", retryWindowMs: 60_000, discovery: false, remotes: [] };
  const core = createCore(new MemoryStore(), settings, clock, { powerKey: randomBytes(32) }, undefined, {
    drivers: [ipmi, wol],
    ...(rebootOrder ? { rebootOrder } : {}),
  });
  await core.machines.register(M, {});
  return { core, ipmi, wol, clock };
}

test("fake driver: a reboot goes pxe-once then cycle, acknowledged, each step on the timeline with the command", async () => {
  const { core, ipmi } = await setup();
  await core.power.set(M, IPMI);
  const c = await core.commands.enqueue(M, "reboot");
  assert.equal(await core.commands.deliverQueued(), 1);
  assert.deepEqual(
    ipmi.calls.map((x) => x.action),
    ["pxe-once", "cycle"],
  );
  const done = core.commands.get(c.id);
  assert.deepEqual(
    [done.state, done.agent, done.detail],
    ["acknowledged", "power:ipmi", "fake pxe-once: off; fake cycle: on"],
  );
  const steps = core.events
    .forMachine(M)
    .filter((e) => e.kind.startsWith("power.") && e.kind !== "power.set")
    .map((e) => `${e.kind} ${String(e.detail?.action ?? "")} ${String(e.detail?.command ?? "")}`);
  assert.deepEqual(steps, [
    `power.queued pxe-once ${c.id}`,
    `power.sent pxe-once ${c.id}`,
    `power.done pxe-once ${c.id}`,
    `power.queued cycle ${c.id}`,
    `power.sent cycle ${c.id}`,
    `power.state  ${c.id}`,
    `power.done cycle ${c.id}`,
  ]);
});

test("fake driver: a failed boot override fails the command with the BMC's words and cycles nothing", async () => {
  const { core, ipmi } = await setup();
  await core.power.set(M, IPMI);
  ipmi.behave(M, {
    kind: "fail",
    code: "ENF_ERR_POWER_REFUSED",
    message: "Set Boot Device to pxe failed: Invalid data field",
  });
  const c = await core.commands.enqueue(M, "reboot");
  await core.commands.deliverQueued();
  assert.deepEqual(
    ipmi.calls.map((x) => x.action),
    ["pxe-once"],
  );
  const failed = core.commands.get(c.id);
  assert.equal(failed.state, "failed");
  assert.equal(failed.detail, "ENF_ERR_POWER_REFUSED: Set Boot Device to pxe failed: Invalid data field");
});

test("fake driver: Wake-on-LAN wakes a machine not seen on, with no boot override; one seen on is not reached", async () => {
  const { core, wol } = await setup();
  await core.power.set(M, { driver: "wol" });
  const c = await core.commands.enqueue(M, "reboot");
  await core.commands.deliverQueued();
  assert.deepEqual(
    wol.calls.map((x) => x.action),
    ["on"],
  );
  assert.equal(core.commands.get(c.id).agent, "power:wol");
  // An IPMI status said on (the same machine, set to ipmi then back to wol): WoL would do nothing.
  await core.power.set(M, IPMI);
  await core.power.act(M, "on");
  await core.power.set(M, { driver: "wol" });
  const d = await core.commands.enqueue(M, "reboot");
  assert.equal(await core.commands.deliverQueued(), 0);
  assert.equal(core.commands.get(d.id).state, "queued", "left for an agent");
});

test("fake driver: agent,power leaves a machine whose JSON agent polled in the last 2 minutes to it; power,agent does not", async () => {
  const { core, ipmi, clock } = await setup();
  await core.power.set(M, IPMI);
  await core.commandPolls.takeCommands("json:m", M, 0);
  const c = await core.commands.enqueue(M, "reboot");
  assert.equal(await core.commands.deliverQueued(), 0);
  assert.equal(core.commands.get(c.id).state, "queued", "the agent takes it on its next poll");
  clock.advance(AGENT_POLL_WINDOW_MS + 1);
  assert.equal(await core.commands.deliverQueued(), 1, "the agent went quiet: power reboots it");
  assert.equal(core.commands.get(c.id).agent, "power:ipmi");
  assert.equal(ipmi.calls.length, 2);

  const other = await setup("power,agent");
  await other.core.power.set(M, IPMI);
  await other.core.commandPolls.takeCommands("json:m", M, 0);
  const d = await other.core.commands.enqueue(M, "reboot");
  assert.equal(await other.core.commands.deliverQueued(), 1);
  assert.equal(other.core.commands.get(d.id).agent, "power:ipmi");
});

test("fake driver: with agent,power an agent system that reaches the machine is asked first; power,agent the other way", async () => {
  for (const [order, via] of [
    ["agent,power", "serf:test"],
    ["power,agent", "power:ipmi"],
  ] as const) {
    const { core } = await setup(order);
    await core.power.set(M, IPMI);
    const reach = core.agents as AgentReach;
    reach.add({
      id: "serf:test",
      members: async () => [],
      inventory: async () => ({}),
      reboot: async () => ({ state: "acknowledged", detail: "serf" }),
    });
    reach.seen(M, "serf:test", { name: "m", macs: [M], alive: true });
    const c = await core.commands.enqueue(M, "reboot");
    await core.commands.deliverQueued();
    assert.equal(core.commands.get(c.id).agent, via, order);
  }
});
