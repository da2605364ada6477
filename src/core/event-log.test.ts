import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { EventLog } from "./event-log.js";

test("a replay hands out only events whose commit resolved: a crash before the fsync cannot reuse a number a client saw", async () => {
  const store = new MemoryStore();
  const log = new EventLog(store);
  const first = log.record("machine.seen", "m1", new Date(0).toISOString());
  await store.commit([first.op]);
  log.publish([first.event]);
  const second = log.record("machine.seen", "m1", new Date(1).toISOString());
  // The store applies a commit to memory as it is called; until it resolves (publish), it is not durable.
  const pending = store.commit([second.op]);
  assert.deepEqual(
    log.since(0).map((e) => e.seq),
    [first.event.seq],
  );
  assert.deepEqual(
    log.since(0, "m1").map((e) => e.seq),
    [first.event.seq],
  );
  assert.equal(log.durableSeq(), first.event.seq);
  await pending;
  log.publish([second.event]);
  assert.deepEqual(
    log.since(0).map((e) => e.seq),
    [first.event.seq, second.event.seq],
  );
});

test("events loaded from the store at start are durable", async () => {
  const store = new MemoryStore();
  const before = new EventLog(store);
  const e = before.record("machine.seen", "m1", new Date(0).toISOString());
  await store.commit([e.op]);
  const after = new EventLog(store);
  assert.equal(after.durableSeq(), e.event.seq);
  assert.deepEqual(
    after.since(0).map((x) => x.seq),
    [e.event.seq],
  );
});
