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

test("two changes committed out of seq order replay in seq order, for all and for one machine", async () => {
  const store = new MemoryStore();
  const log = new EventLog(store);
  const at = new Date(0).toISOString();
  const early = log.record("machine.seen", "m1", at);
  const late = log.record("machine.updated", "m1", at);
  await store.commit([late.op]);
  await store.commit([early.op]);
  log.publish([late.event, early.event]);
  assert.deepEqual(
    log.since(0).map((e) => e.seq),
    [early.event.seq, late.event.seq],
  );
  assert.deepEqual(
    log.forMachine("m1").map((e) => e.seq),
    [early.event.seq, late.event.seq],
  );
});

test("the history follows the store, not the op builders: a change refused or written elsewhere", async () => {
  const store = new MemoryStore();
  const log = new EventLog(store);
  const at = new Date(0).toISOString();
  log.record("machine.seen", "m1", at); // its change was refused: never committed, never kept
  assert.equal(log.count(), 0);
  // Another process (a shared backend's feed) stores an event with a later number and a seq mark.
  const elsewhere = { seq: 40, at, machine: "m2", kind: "machine.seen" as const };
  await store.commit([
    { op: "put", collection: "retention", id: "events", value: { lastSeq: 50 } },
    { op: "put", collection: "events", id: "000000000040", value: elsewhere },
  ]);
  assert.equal(log.count(), 1);
  assert.deepEqual(log.forMachine("m2"), [elsewhere]);
  assert.ok(log.record("machine.seen", "m1", at).event.seq > 50, "a number another process issued");
});

test("events deleted by two changes at once (retention and a trim) are counted out once", async () => {
  const store = new MemoryStore();
  const log = new EventLog(store);
  const at = new Date(0).toISOString();
  const made = Array.from({ length: 4 }, () => log.record("machine.seen", "m1", at));
  await store.commit(made.map((r) => r.op));
  const seqs = made.slice(0, 2).map((r) => r.event.seq);
  const retention = log.pruneOps(seqs);
  const trim = log.trimOps("m1", 2);
  assert.equal(log.count(), 4, "building ops changed the index");
  await store.commit(retention);
  await store.commit(trim);
  assert.equal(log.count(), 2);
  assert.deepEqual(
    log.forMachine("m1").map((e) => e.seq),
    made.slice(2).map((r) => r.event.seq),
  );
});
