// A poll reads its machine's open commands from an index kept by the store's change feed: it must agree
// with the store through queueing, taking, acknowledging, merging, forgetting and a restart.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { OpenCommands } from "./open-commands.js";
import { testCore } from "./testing/fixtures.js";

const A = parseMac("52:54:00:00:08:01");
const B = parseMac("52:54:00:00:08:02");

test("open commands follow the store: queued and sent are open, outcomes close them, oldest first", async () => {
  const store = new MemoryStore();
  const { core } = testCore({}, store);
  await core.machines.register(A, {});
  await core.machines.register(B, {});
  const a1 = await core.commands.enqueue(A, "reboot");
  const b1 = await core.commands.enqueue(B, "reboot");
  const a2 = await core.commands.enqueue(A, "reboot");
  const ids = () => core.commands.open.of(A).map((c) => `${c.id}:${c.state}`);
  assert.deepEqual(ids(), [`${a1.id}:queued`, `${a2.id}:queued`]);
  await core.commandPolls.takeCommands("json:a", A, 0);
  assert.deepEqual(ids(), [`${a1.id}:sent`, `${a2.id}:sent`]);
  await core.commandPolls.acknowledge(A, a1.id, true, "ok");
  assert.deepEqual(ids(), [`${a2.id}:sent`]);
  // Rebuilt from a scan at start, the index says the same.
  assert.deepEqual(
    new OpenCommands(store).all().map((c) => c.id),
    [b1.id, a2.id],
  );
});

test("a command moved by a merge keeps its place; one whose machine is forgotten is no longer open", async () => {
  const { core, store } = testCore();
  await core.machines.register(A, {});
  await core.machines.register(B, {});
  const b1 = await core.commands.enqueue(B, "reboot");
  const a1 = await core.commands.enqueue(A, "reboot");
  await store.commit(core.commands.moveLiveOps(B, A));
  assert.deepEqual(
    core.commands.open.of(A).map((c) => c.id),
    [b1.id, a1.id],
    "in the order they were queued",
  );
  assert.deepEqual(core.commands.open.of(B), []);
  await store.commit([...core.commands.failLiveOps(A, new Date().toISOString()).ops]);
  assert.deepEqual(core.commands.open.all(), []);
  assert.equal(core.commands.get(a1.id).state, "failed");
});
