import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { CUSTOM_PROFILE, testCore } from "./testing/fixtures.js";

const A = parseMac("52:54:00:00:01:0a");
const B = parseMac("52:54:00:00:01:0b");
const ADMIN = { kind: "token", id: "t-admin", name: "admin", role: "admin" } as const;

/** A and B registered; B's report names A's MAC, so a conflict B -> A waits for the operator. */
async function clashed() {
  const t = testCore();
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  await t.core.machines.register(A, { hostname: "a" });
  await t.core.machines.register(B, { hostname: "b" });
  const r = await t.core.agentReports.report(ADMIN, [B, A], { cpu: { model: "x" } });
  assert.equal(r.conflicts.length, 1);
  return { ...t, conflict: r.conflicts[0]! };
}

test("a draft of the merged machine follows it: armed, the merged machine boots it by either MAC", async () => {
  const { core, conflict } = await clashed();
  const draft = await core.configs.create({ machine: B, profile: "linux" });
  await core.conflicts.resolve(conflict, "merge", "op");
  const armed = await core.configs.arm(draft.id);
  assert.equal(armed.machine, A, "the config is for the machine that stays");
  assert.equal(core.configs.holdingFor(A)?.id, draft.id);
  const boot = await core.boot.machineScript({ mac: B });
  assert.equal(boot.kind, "config", "B's MAC (now A's) boots the armed config");
  assert.equal(core.configs.list({ machine: A }).length, 1);
});

test("a merge never leaves a machine two armed configs", async () => {
  const { core, conflict } = await clashed();
  const draft = await core.configs.create({ machine: B, profile: "linux" });
  const other = await core.configs.create({ machine: A, profile: "linux" });
  await core.conflicts.resolve(conflict, "merge", "op");
  await core.configs.arm(other.id);
  await assert.rejects(core.configs.arm(draft.id), { code: "ENF_ERR_CONFIG_ALREADY_ARMED" });
});

test("a draft whose machine is gone and whose MAC another machine now holds is not armed for the wrong one", async () => {
  const { core } = await clashed();
  const draft = await core.configs.create({ machine: B, profile: "linux" });
  await core.machines.forget(B, () => false);
  // B's MAC joins A (a report lists it as one of A's NICs, nobody holding it now).
  await core.agentReports.report(ADMIN, [A, B], { cpu: { model: "x" } });
  assert.equal(core.machines.get(B).id, A);
  await assert.rejects(core.configs.arm(draft.id), { code: "ENF_ERR_MACHINE_NOT_FOUND" });
  assert.equal(core.configs.holdingFor(B), undefined);
});

test("commands queued for the merged machine follow it to the machine that stays", async () => {
  const { core, conflict } = await clashed();
  const cmd = await core.commands.enqueue(B, "reboot");
  await core.conflicts.resolve(conflict, "merge", "op");
  const taken = await core.commandPolls.takeCommands("json:test", A, 0);
  assert.deepEqual(
    taken.map((c) => c.id),
    [cmd.id],
  );
});
