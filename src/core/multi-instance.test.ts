// Several instances over one shared store, in one process: two cores over two views of the fake shared
// backend (src/store/testing/shared-memory-store.ts), which applies commits later and in engine order as
// etcd does. The real etcd proofs are test/cluster/ and the etcd contract suite.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { MachineEvent } from "../domain/events.js";
import { isEnforcerError } from "../domain/errors.js";
import { parseMac } from "../domain/mac.js";
import { SharedMemoryEngine } from "../store/testing/shared-memory-store.js";
import { CUSTOM_PROFILE, testCore } from "./testing/fixtures.js";

const MAC = "52:54:00:00:00:01";
const who = { mac: parseMac(MAC), platform: "efi" as const, arch: "x86_64" };

async function instances(n = 2) {
  const engine = new SharedMemoryEngine();
  const all = Array.from({ length: n }, () => testCore({}, engine.view()));
  await Promise.all(all.map((i) => i.core.events.ready()));
  return { engine, all };
}

/** Lets every view apply what the engine accepted (each applies on a later turn). */
const settle = () => new Promise((r) => setTimeout(r, 20));

/** Waits until `cond` holds: a peer's commit reaches this instance when its view applies it. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

test("fake shared store: 200 concurrent fetches of one armed config over two instances trigger it exactly once, 5 times over", async () => {
  const { all } = await instances();
  const [a, b] = [all[0]!.core, all[1]!.core];
  await a.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
  for (let round = 0; round < 5; round++) {
    const c = await a.configs.create({ machine: MAC, profile: "linux" });
    await a.configs.arm(c.id);
    await until(() => b.configs.holdingFor(MAC)?.lifecycle.state === "armed", "b sees the armed config");
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).boot.machineScript(who)),
    );
    const served = answers.filter((d) => d.kind === "config").length;
    await settle();
    const written = a.events.forMachine(MAC, 0, 10_000).filter((e) => e.config === c.id);
    const kinds = written.map((e) => e.kind);
    assert.equal(kinds.filter((k) => k === "config.triggered").length, 1, `round ${round}: one trigger`);
    // Every script served is a written trigger or retry; a fetch whose write lost fell through.
    assert.equal(served, kinds.filter((k) => k === "config.triggered" || k === "config.retried").length);
    assert.ok(answers.every((d) => d.kind === "config" || (d.kind === "none" && d.reason === "no-config")));
    const l = a.configs.get(c.id).lifecycle;
    assert.equal(l.state === "triggered" && l.fetches, served, "the config counts what was served");
    await a.configs.cancel(c.id);
    await until(() => b.configs.holdingFor(MAC) === undefined, "b sees the cancel");
  }
});

test("fake shared store: an event recorded on one instance reaches the other's subscribers and replay", async () => {
  const { all } = await instances();
  const [a, b] = [all[0]!.core, all[1]!.core];
  const heardOnB: MachineEvent[] = [];
  b.events.subscribe((e) => heardOnB.push(e));
  const cursor = b.events.durableSeq();
  await a.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
  const c = await a.configs.create({ machine: MAC, profile: "linux" });
  await until(() => heardOnB.some((e) => e.kind === "config.created"), "b hears config.created");
  const created = heardOnB.find((e) => e.kind === "config.created")!;
  assert.equal(created.config, c.id);
  assert.ok(
    b.events.since(cursor).some((e) => e.seq === created.seq),
    "b replays it after its cursor",
  );
  assert.equal(heardOnB.filter((e) => e.seq === created.seq).length, 1, "heard once");
});

test("fake shared store: seqs never collide over 10,000 events recorded on two instances; replay follows apply order", async () => {
  const { all } = await instances();
  const [a, b] = [all[0]!.core, all[1]!.core];
  const heard: number[] = [];
  a.events.subscribe((e) => heard.push(e.seq));
  const cursor = a.events.durableSeq();
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 5000; i++) {
    for (const { core, store } of all) {
      const r = core.events.record("machine.seen", `m${i % 50}`, new Date().toISOString());
      writes.push(store.commit([r.op]));
    }
    // Let the engine answer claims now and then, as a server between requests would.
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(writes);
  await until(() => heard.length === 10_000, "a hears all 10,000");
  assert.equal(new Set(heard).size, 10_000, "no seq told twice or shared");
  const replay = a.events.since(cursor).map((e) => e.seq);
  assert.deepEqual(replay, heard, "the replay is the apply order a listener heard");
  assert.notDeepEqual(
    replay,
    [...replay].sort((x, y) => x - y),
    "the two instances' blocks interleave",
  );
  await until(() => b.events.since(cursor).length === 10_000, "b applied all");
  assert.deepEqual(
    b.events.since(cursor).map((e) => e.seq),
    replay,
    "both instances replay in one order",
  );
});

test("fake shared store: a cancel that loses to another instance's step answers 409 ENF_ERR_STORE_CONFLICT", async () => {
  const { all } = await instances();
  const [a, b] = [all[0]!.core, all[1]!.core];
  await a.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
  const c = await a.configs.create({ machine: MAC, profile: "linux" });
  await until(() => b.configs.list().length === 1, "b sees the config");
  // Both read the draft; both arm or cancel it at once: exactly one step wins, the other is a conflict.
  const results = await Promise.allSettled([a.configs.arm(c.id), b.configs.cancel(c.id)]);
  const lost = results.filter((r) => r.status === "rejected");
  assert.equal(lost.length, 1, "one step wins");
  assert.ok(isEnforcerError((lost[0] as PromiseRejectedResult).reason, "ENF_ERR_STORE_CONFLICT"));
});

test("fake shared store: with no quorum a trigger is not written and not served; with it back, the machine boots", async () => {
  const { engine, all } = await instances();
  const [a, b] = [all[0]!.core, all[1]!.core];
  await a.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
  const c = await a.configs.create({ machine: MAC, profile: "linux" });
  await a.configs.arm(c.id);
  await until(() => b.configs.holdingFor(MAC)?.lifecycle.state === "armed", "b sees the armed config");
  engine.setAvailable(false);
  const down = await b.boot.machineRequest(who);
  assert.deepEqual(
    down.decision,
    { kind: "none", reason: "no-config" },
    "falls through, as with nothing armed",
  );
  assert.deepEqual(down.unwritten, { code: "ENF_ERR_STORE_UNAVAILABLE", config: c.id });
  assert.equal(b.configs.get(c.id).lifecycle.state, "armed", "still armed for the retry");
  await assert.rejects(a.configs.cancel(c.id), (e) => isEnforcerError(e, "ENF_ERR_STORE_UNAVAILABLE"));
  engine.setAvailable(true);
  assert.equal((await b.boot.machineScript(who)).kind, "config");
});

test("fake shared store: two instances arming two configs of one machine at once: one is armed, the other loses", async () => {
  const { all } = await instances();
  const [a, b] = [all[0]!.core, all[1]!.core];
  await a.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
  const x = await a.configs.create({ machine: MAC, profile: "linux" });
  const y = await a.configs.create({ machine: MAC, profile: "linux" });
  await until(() => b.configs.list().length === 2, "b sees both drafts");
  const results = await Promise.allSettled([a.configs.arm(x.id), b.configs.arm(y.id)]);
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, "one arm wins");
  const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
  assert.ok(isEnforcerError(lost.reason, "ENF_ERR_STORE_CONFLICT"), String(lost.reason));
  await settle();
  for (const core of [a, b])
    assert.equal(core.configs.list({ state: "armed" }).length, 1, "one armed config on every instance");
});
