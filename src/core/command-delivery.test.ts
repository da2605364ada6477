// Delivery goes through command executors (the agents today; IPMI, Redfish, Wake-on-LAN later): the first
// that reaches the machine carries the command, and a command none reaches waits for the machine's own agent.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import type { CommandExecutor } from "./command-executor.js";
import { testCore } from "./testing/fixtures.js";

const M = parseMac("52:54:00:00:07:01");
const N = parseMac("52:54:00:00:07:02");

/** An executor that reaches only `machines`, and records what it delivered. */
function executor(via: string, machines: string[], delivered: string[]): CommandExecutor {
  return {
    reach: (machine) =>
      machines.includes(machine)
        ? {
            via,
            deliver: async (c) => {
              delivered.push(`${via} ${c.machine} ${c.state}`);
              return { state: "acknowledged", detail: `${via} did it` };
            },
          }
        : undefined,
  };
}

test("the first executor that reaches a machine delivers, and its outcome lands on the timeline", async () => {
  const { core } = testCore();
  await core.machines.register(M, {});
  const delivered: string[] = [];
  core.commands.addExecutor(executor("ipmi:a", [M], delivered));
  core.commands.addExecutor(executor("ipmi:b", [M], delivered));
  const c = await core.commands.enqueue(M, "reboot");
  assert.equal(await core.commands.deliverQueued(), 1);
  assert.deepEqual(delivered, [`ipmi:a ${M} sent`], "only the first, once, after it was marked sent");
  assert.deepEqual(
    { state: core.commands.get(c.id).state, agent: core.commands.get(c.id).agent },
    { state: "acknowledged", agent: "ipmi:a" },
  );
  const history = core.events.forMachine(M).map((e) => [e.kind, e.detail]);
  assert.deepEqual(history.slice(-3), [
    ["command.queued", { command: c.id, type: "reboot" }],
    ["command.sent", { command: c.id, agent: "ipmi:a" }],
    ["command.acknowledged", { command: c.id, detail: "ipmi:a did it", agent: "ipmi:a" }],
  ]);
});

test("a command no executor reaches stays queued for the machine's JSON agent to take", async () => {
  const { core } = testCore();
  await core.machines.register(N, {});
  const delivered: string[] = [];
  core.commands.addExecutor(executor("ipmi:a", [M], delivered));
  const c = await core.commands.enqueue(N, "reboot");
  assert.equal(await core.commands.deliverQueued(), 0);
  assert.equal(core.commands.get(c.id).state, "queued");
  const taken = await core.commandPolls.takeCommands("json:n", N, 0);
  assert.deepEqual(
    taken.map((x) => [x.id, x.state, x.agent]),
    [[c.id, "sent", "json:n"]],
  );
  assert.equal(await core.commands.deliverQueued(), 0, "taken commands are not delivered again");
  assert.deepEqual(delivered, []);
});

test("an executor that throws fails the command with its message", async () => {
  const { core } = testCore();
  await core.machines.register(M, {});
  core.commands.addExecutor({
    reach: () => ({ via: "wol:x", deliver: async () => Promise.reject(new Error("no link")) }),
  });
  const c = await core.commands.enqueue(M, "reboot");
  await core.commands.deliverQueued();
  assert.deepEqual(
    { state: core.commands.get(c.id).state, detail: core.commands.get(c.id).detail },
    { state: "failed", detail: "no link" },
  );
});

test("a command that ends while its executor is delivering it (machine forgotten) keeps one ending", async () => {
  const { core } = testCore();
  await core.machines.register(M, {});
  let finish: (d: { state: "acknowledged"; detail: string }) => void = () => {};
  core.commands.addExecutor({
    reach: () => ({ via: "ipmi:slow", deliver: () => new Promise((resolve) => (finish = resolve)) }),
  });
  const c = await core.commands.enqueue(M, "reboot");
  const delivering = core.commands.deliverQueued();
  await new Promise((resolve) => setImmediate(resolve)); // marked sent, the executor is at work
  assert.equal(core.commands.get(c.id).state, "sent");
  await core.machines.forget(
    M,
    () => false,
    (id, at) => core.commands.failLiveOps(id, at),
  );
  assert.equal(core.commands.get(c.id).state, "failed");
  finish({ state: "acknowledged", detail: "done late" });
  await delivering;
  assert.equal(core.commands.get(c.id).state, "failed", "the late outcome did not overwrite its end");
  const endings = core.events
    .forMachine(M)
    .filter((e) => ["command.failed", "command.acknowledged"].includes(e.kind));
  assert.equal(endings.length, 1, "one ending in the history");
});
