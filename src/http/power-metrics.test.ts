import assert from "node:assert/strict";
import { test } from "node:test";
import { EnforcerError } from "../domain/errors.js";
import { Metrics } from "./metrics.js";
import { testApp } from "./testing/app.js";

const A = "52:54:00:00:0b:01";
const B = "52:54:00:00:0b:02";
const IPMI = { driver: "ipmi" as const, address: "10.0.0.9", username: "admin", password: "pw" };

test("/metrics (real core, fake driver): machines by power state, each one's 1/0, actions by outcome", async () => {
  const metrics = new Metrics({ counts: () => t.core.stats.counts(), power: () => t.core.power.metrics() });
  const t = await testApp({}, { metrics });
  t.core.power.addDriver({
    name: "ipmi",
    actions: ["on", "off", "cycle", "status", "pxe-once"],
    run: async (target, action) => {
      if (action === "cycle") throw new EnforcerError("ENF_ERR_POWER_AUTH", "RAKP 2 HMAC is invalid");
      return { state: action === "off" ? "off" : "on", detail: "ok" };
    },
  });
  const scrape = async () => (await t.as("viewer", "/metrics")).body;
  let body = await scrape();
  assert.match(body, /^enforcer_power_machines\{state="on"\} 0$/m, "all three states from the start");
  for (const m of [A, B]) {
    await t.core.machines.ensure(m as never);
    await t.core.power.set(m, IPMI);
  }
  await t.core.power.act(A, "on");
  await t.core.power.act(B, "off");
  await t.core.power.act(B, "off");
  await assert.rejects(t.core.power.act(B, "cycle"));
  body = await scrape();
  assert.match(body, /^enforcer_power_machines\{state="on"\} 1$/m);
  assert.match(body, /^enforcer_power_machines\{state="off"\} 1$/m);
  assert.match(body, /^enforcer_power_machines\{state="unknown"\} 0$/m);
  assert.match(body, new RegExp(`^enforcer_machine_power_on\\{machine="${A}",driver="ipmi"\\} 1$`, "m"));
  assert.match(body, new RegExp(`^enforcer_machine_power_on\\{machine="${B}",driver="ipmi"\\} 0$`, "m"));
  assert.match(body, /^enforcer_power_actions_total\{driver="ipmi",action="off",outcome="ok"\} 2$/m);
  assert.match(
    body,
    /^enforcer_power_actions_total\{driver="ipmi",action="cycle",outcome="ENF_ERR_POWER_AUTH"\} 1$/m,
  );
  // Removed: its line goes (a stale 1 would tell a dashboard the machine is on).
  await t.core.power.remove(A);
  body = await scrape();
  assert.doesNotMatch(body, new RegExp(`machine="${A}"`));
  assert.match(body, /^enforcer_power_machines\{state="on"\} 0$/m);
  // Unknown state: no line at all, neither 1 nor 0.
  await t.core.power.set(A, IPMI);
  assert.doesNotMatch(await scrape(), new RegExp(`enforcer_machine_power_on\\{machine="${A}"`));
});

test("/metrics: power label values are escaped, so a strange id cannot add a line or a label", async () => {
  const metrics = new Metrics({
    counts: () => ({ machines: 0, configsByState: {} }) as never,
    power: () => ({
      byState: { on: 1, off: 0, unknown: 0 },
      machines: [{ machine: 'm"1\\\nenforcer_fake 1', driver: "ipmi", state: "on" }],
      actions: [],
    }),
  });
  const text = await metrics.registry.metrics();
  assert.match(text, /^enforcer_machine_power_on\{machine="m\\"1\\\\\\nenforcer_fake 1",driver="ipmi"\} 1$/m);
  assert.doesNotMatch(text, /^enforcer_fake/m);
});
