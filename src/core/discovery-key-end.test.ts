import assert from "node:assert/strict";
import { test } from "node:test";
import type { BootDecision } from "../domain/boot-decision.js";
import { parseMac } from "../domain/mac.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { CUSTOM_PROFILE, testCore } from "./testing/fixtures.js";

const M = parseMac("52:54:00:00:05:01");

/** A machine that reported with its discovery key, then booted its armed config (the key has ended). */
async function booted() {
  const t = testCore();
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  const key = { kind: "discovery", mac: M, machine: M, issuedAt: t.clock.now().toISOString() } as const;
  await t.core.agentReports.report(key, [M], { cpu: { model: "x" } });
  t.clock.advance(1000);
  const c = await t.core.configs.create({ machine: M, profile: "linux" });
  await t.core.configs.arm(c.id);
  assert.equal((await t.core.boot.machineScript({ mac: M })).kind, "config");
  assert.throws(() => t.core.credentials.forCommands(key, undefined), { code: "ENF_ERR_AUTH_FORBIDDEN" });
  return { ...t, key, config: c };
}

test("an ended discovery key stays ended when the operator then creates a new draft", async () => {
  const { core, key } = await booted();
  await core.configs.create({ machine: M, profile: "linux" });
  assert.throws(() => core.credentials.forCommands(key, undefined), { code: "ENF_ERR_AUTH_FORBIDDEN" });
  await assert.rejects(core.agentReports.report(key, [M], { cpu: { model: "evil" } }), {
    code: "ENF_ERR_AUTH_FORBIDDEN",
  });
});

test("an ended discovery key stays ended when the booted config is cancelled", async () => {
  const { core, key, config } = await booted();
  await core.configs.cancel(config.id);
  assert.throws(() => core.credentials.forCommands(key, undefined), { code: "ENF_ERR_AUTH_FORBIDDEN" });
});

test("a machine back in discovery after booting its config gets a new key, not the ended one again", async () => {
  const t = testCore({ discovery: true, discoveryKernel: "http://enf.test:8080/tftp/discovery/vmlinuz" });
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  await t.core.machines.register(M, {});
  // The key on the kernel command line of the discovery image the machine is told to boot.
  const keyOf = (d: BootDecision) =>
    d.kind === "discovery" && d.boot.kind === "image" && d.boot.spec.kind === "linux"
      ? /enforcer\.key=(\S+)/.exec(d.boot.spec.args.join(" "))?.[1]
      : undefined;
  const first = await t.core.boot.machineScript({ mac: M });
  assert.equal(first.kind, "discovery");
  const k1 = keyOf(first);
  // Its discovery image never reported (a NIC without a driver, say); the operator arms a config anyway.
  t.clock.advance(60_000);
  const c = await t.core.configs.create({ machine: M, profile: "linux" });
  await t.core.configs.arm(c.id);
  assert.equal((await t.core.boot.machineScript({ mac: M })).kind, "config");
  await t.core.configs.complete(c.secret);
  t.clock.advance(60_000);
  const again = await t.core.boot.machineScript({ mac: M });
  assert.equal(again.kind, "discovery");
  const k2 = keyOf(again)!;
  assert.notEqual(k2, k1, "the ended key is not handed out again");
  const s = t.core.sessions.verify(k2)!;
  const cred = { kind: "discovery", mac: M, machine: s.machine, issuedAt: s.createdAt } as const;
  assert.equal(t.core.credentials.forCommands(cred, undefined), M, "the new key works");
});

test("an ended discovery key stays ended after its machine is merged into another", async () => {
  const { core, key, config } = await booted();
  await core.configs.complete(config.secret);
  const B = parseMac("52:54:00:00:05:0b");
  await core.machines.register(B, { hostname: "b" });
  const admin = { kind: "token", id: "t", name: "admin", role: "admin" } as const;
  const r = await core.agentReports.report(admin, [M, B], { cpu: { model: "x" } });
  await core.conflicts.resolve(r.conflicts[0]!, "merge", "op");
  assert.equal(core.machines.get(M).id, B);
  assert.throws(() => core.credentials.forCommands(key, undefined), { code: "ENF_ERR_AUTH_FORBIDDEN" });
});

test("an ended discovery key stays ended after a restart, once retention pruned the config it booted", async () => {
  const store = new MemoryStore();
  const t = testCore({ limits: { finishedPerMachine: 1 } }, store);
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  const key = { kind: "discovery", mac: M, machine: M, issuedAt: t.clock.now().toISOString() } as const;
  await t.core.agentReports.report(key, [M], { cpu: { model: "x" } });
  t.clock.advance(1000);
  const c = await t.core.configs.create({ machine: M, profile: "linux" });
  await t.core.configs.arm(c.id);
  assert.equal((await t.core.boot.machineScript({ mac: M })).kind, "config");
  await t.core.configs.complete(t.core.configs.get(c.id).secret);
  // The operator tries a config and drops it: now the booted one is past the finished configs kept.
  t.clock.advance(1000);
  await t.core.configs.cancel((await t.core.configs.create({ machine: M, profile: "linux" })).id);
  await t.core.retention.sweep();
  assert.throws(() => t.core.credentials.forCommands(key, undefined), { code: "ENF_ERR_AUTH_FORBIDDEN" });
  // The same data after a restart: the key is still ended, as it was a moment ago.
  const again = testCore({ limits: { finishedPerMachine: 1 } }, new MemoryStore(store.commits.flat()));
  assert.throws(() => again.core.credentials.forCommands(key, undefined), { code: "ENF_ERR_AUTH_FORBIDDEN" });
});
