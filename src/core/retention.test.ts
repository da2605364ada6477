import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { createCore } from "./create-core.js";
import { COLLECTIONS } from "../store/collections.js";
import { type GrowthLimits } from "./ports.js";
import { CUSTOM_PROFILE, testCore } from "./testing/fixtures.js";

const A = "52:54:00:00:00:0a";
const B = "52:54:00:00:00:0b";
const DAY = 24 * 3600_000;

async function withProfile(limits: Partial<GrowthLimits> = {}) {
  const t = testCore({ limits });
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  return t;
}

test("each machine keeps its newest N events; other machines are untouched", async () => {
  const { core } = await withProfile({ historyPerMachine: 10 });
  await core.machines.register(parseMac(A), {});
  for (let i = 0; i < 30; i++) await core.machines.update(A, { hostname: `h${i}` });
  await core.machines.register(parseMac(B), {});
  const before = core.events.forMachine(A).map((e) => e.seq);
  const r = await core.retention.sweep();
  // Publishing already trimmed most of the 31 (see EventLog.trim); the pass deletes what is left over.
  assert.equal(before.length - r.events, 10);
  assert.deepEqual(
    core.events.forMachine(A).map((e) => e.seq),
    before.slice(-10),
  );
  assert.equal(core.events.forMachine(B).length, 1);
  assert.equal(core.events.count(), 11);
});

test("past the age: events, finished configs and finished commands go; live configs and commands stay", async () => {
  const { core, clock, store } = await withProfile({ historyDays: 90 });
  const cancelled = await core.configs.create({ machine: A, profile: "linux" });
  await core.configs.cancel(cancelled.id);
  const armed = await core.configs.create({ machine: A, profile: "linux" });
  await core.configs.arm(armed.id);
  const draft = await core.configs.create({ machine: B, profile: "linux" });
  const acked = await core.commands.enqueue(A, "reboot");
  await core.commandPolls.takeCommands("json:test", parseMac(A), 0);
  await core.commandPolls.acknowledge(parseMac(A), acked.id, true, "ok");
  const queued = await core.commands.enqueue(B, "reboot");

  clock.advance(89 * DAY);
  assert.equal((await core.retention.sweep()).events, 0, "nothing is old enough yet");
  clock.advance(2 * DAY);
  const fresh = await core.machines.update(B, { hostname: "still-here" });
  const r = await core.retention.sweep();
  assert.deepEqual([r.configs, r.commands], [1, 1]);
  assert.deepEqual(
    [...store.all<{ id: string }>(COLLECTIONS.configs)].map((c) => c.id).sort(),
    [armed.id, draft.id].sort(),
  );
  assert.deepEqual(
    [...store.all<{ id: string }>(COLLECTIONS.commands)].map((c) => c.id),
    [queued.id],
  );
  // Only the event recorded after the cutoff is left.
  assert.deepEqual(
    core.events.since(0).map((e) => [e.machine, e.kind]),
    [[fresh.id, "machine.updated"]],
  );
  assert.equal(core.configs.bySecretToken(cancelled.secret), undefined);
  assert.equal(core.configs.holdingFor(A)?.id, armed.id);
});

test("each machine keeps its newest finished configs; its state follows what is left", async () => {
  const { core, clock } = await withProfile({ finishedPerMachine: 2, historyDays: 30 });
  const ids = [];
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    const c = await core.configs.create({ machine: A, profile: "linux" });
    await core.configs.cancel(c.id);
    ids.push(c.id);
  }
  assert.equal((await core.retention.sweep()).configs, 3);
  assert.deepEqual(
    core.configs.list({ machine: A }).map((c) => c.id),
    [ids[4], ids[3]],
  );
  assert.equal(core.configs.newestFor(A)?.id, ids[4]);
  clock.advance(31 * DAY);
  await core.retention.sweep();
  assert.equal(core.configs.stateOf(A), "none");
  assert.equal(core.configs.newestFor(A), undefined);
});

test("sequence numbers keep rising after pruning, across a restart; a replay starts at the oldest kept", async () => {
  const store = new MemoryStore();
  const { core, clock } = testCore({ limits: { historyDays: 1 } }, store);
  await core.machines.register(parseMac(A), {});
  await core.machines.update(A, { hostname: "one" });
  clock.advance(2 * DAY);
  await core.machines.update(A, { hostname: "two" });
  const last = core.events.lastSeq();
  assert.equal(last, 3);
  assert.equal((await core.retention.sweep()).events, 2);
  // A client that saw seq 1 (now pruned) gets what is kept after it.
  assert.deepEqual(
    core.events.since(1).map((e) => e.seq),
    [3],
  );
  clock.advance(2 * DAY);
  assert.equal((await core.retention.sweep()).events, 1);
  assert.equal(store.count(COLLECTIONS.events), 0);
  const restarted = createCore(store, core.settings, clock);
  assert.equal(restarted.events.lastSeq(), last);
  await restarted.machines.update(A, { hostname: "three" });
  assert.deepEqual(
    restarted.events.since(0).map((e) => e.seq),
    [last + 1],
  );
});

test("a replay from far back after heavy pruning reads only what is kept", async () => {
  const { core } = await withProfile({ historyPerMachine: 1 });
  await core.machines.register(parseMac(A), {});
  for (let i = 0; i < 3000; i++) await core.machines.update(A, { hostname: `h${i}` });
  await core.retention.sweep();
  assert.deepEqual(
    core.events.since(0).map((e) => e.seq),
    [core.events.lastSeq()],
  );
  assert.equal(core.events.count(), 1);
});
