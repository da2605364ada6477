// Delivery goes through command executors (the agents today; IPMI, Redfish, Wake-on-LAN later): the first
// that reaches the machine carries the command, and a command none reaches waits for the machine's own agent.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import type { CommandExecutor } from "./command-executor.js";
import { testCore } from "./testing/fixtures.js";

const M = parseMac("52:54:00:00:07:01");
const N = parseMac("52:54:00:00:07:02");

/** Waits (turns of the event loop, no clock) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), "condition never held");
}

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

test("a route that never resolves holds only its own machine: another machine's command is delivered meanwhile, and a second one in order", async () => {
  const { core } = testCore();
  await core.machines.register(M, {});
  await core.machines.register(N, {});
  const order: string[] = [];
  let releaseM: () => void = () => {};
  core.commands.addExecutor({
    reach: (machine) => ({
      via: "power:fake",
      deliver: async (c) => {
        order.push(`start ${c.machine === M ? "M" : "N"} ${c.id}`);
        // M's BMC hangs until released; N's answers at once.
        if (c.machine === M) await new Promise<void>((r) => (releaseM = r));
        order.push(`end ${machine === M ? "M" : "N"} ${c.id}`);
        return { state: "acknowledged", detail: "ok" };
      },
    }),
  });
  const m1 = await core.commands.enqueue(M, "reboot");
  const m2 = await core.commands.enqueue(M, "reboot");
  const n1 = await core.commands.enqueue(N, "reboot");
  const first = core.commands.deliverQueued(); // M hangs in it
  await until(() => core.commands.get(n1.id).state === "acknowledged");
  // A pass started while M hangs (as the daemon starts one per queued command) finishes without M.
  const n2 = await core.commands.enqueue(N, "reboot");
  assert.equal(await core.commands.deliverQueued(), 1);
  assert.equal(core.commands.get(n2.id).state, "acknowledged");
  assert.equal(core.commands.get(m1.id).state, "sent", "M's first is still with its hung route");
  assert.equal(
    core.commands.get(m2.id).state,
    "queued",
    "M's second waits for its first, not delivered beside it",
  );
  releaseM();
  await until(() => order.includes(`start M ${m2.id}`));
  releaseM();
  assert.equal(await first, 3, "the first pass delivered M's two and N's first");
  assert.deepEqual(
    order.filter((o) => o.includes(" M ")),
    [`start M ${m1.id}`, `end M ${m1.id}`, `start M ${m2.id}`, `end M ${m2.id}`],
    "one machine's commands one after the other, in order",
  );
  assert.equal(core.commands.get(m2.id).state, "acknowledged");
});
