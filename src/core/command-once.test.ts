import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { testCore } from "./testing/fixtures.js";

const M = parseMac("52:54:00:00:06:01");

test("two long polls of one machine never both take the same command", async () => {
  const { core } = testCore();
  await core.machines.register(M, {});
  await core.commands.enqueue(M, "reboot");
  await core.commands.enqueue(M, "reboot");
  // A machine may have two polls open (an agent's retry beside its old poll); both end at once.
  const [a, b] = await Promise.all([
    core.commandPolls.takeCommands("json:a", M, 0),
    core.commandPolls.takeCommands("json:b", M, 0),
  ]);
  const ids = [...a, ...b].map((c) => c.id);
  assert.equal(ids.length, 2, `each command delivered once, got ${ids.length}`);
  assert.equal(new Set(ids).size, 2);
  const sent = core.events.forMachine(M).filter((e) => e.kind === "command.sent");
  assert.equal(sent.length, 2, "one command.sent each");
});

test("a command a JSON poll took while the cluster agent delivered another is not delivered again", async () => {
  const { core } = testCore();
  const reboots: string[] = [];
  let poll: Promise<unknown> | undefined;
  core.agents.add({
    id: "serf:fake",
    members: async () => [{ name: "m", macs: [M], alive: true }],
    inventory: async () => ({ cpu: { model: "x" } }),
    reboot: async (member) => {
      reboots.push(member.name);
      // While the first reboot is on its way, the machine's JSON agent polls and takes what is queued.
      poll ??= core.commandPolls.takeCommands("json:host", M, 0);
      await poll;
      return { state: "acknowledged", detail: "ok" };
    },
  });
  await core.agentSync.syncAll();
  await core.commands.enqueue(M, "reboot");
  await core.commands.enqueue(M, "reboot");
  await core.commands.deliverQueued();
  const taken = (await poll) as { id: string }[];
  assert.equal(reboots.length + taken.length, 2, "two commands, two deliveries");
});
