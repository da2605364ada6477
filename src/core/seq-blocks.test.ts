import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { COLLECTIONS } from "../store/collections.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { SharedMemoryEngine } from "../store/testing/shared-memory-store.js";
import { EventLog } from "./event-log.js";
import { SEQ_MARK_ID, SeqBlocks } from "./seq-blocks.js";

test("fake shared store: seq blocks are claimed on the shared mark; with none left recording refuses, and resumes once the store is back", async () => {
  const engine = new SharedMemoryEngine();
  const store = engine.view();
  const blocks = new SeqBlocks(store, () => 0, 10);
  await blocks.ready();
  await new Promise((r) => setTimeout(r, 20)); // the second block, claimed in the background
  assert.deepEqual(store.get(COLLECTIONS.retention, SEQ_MARK_ID), { lastSeq: 20 }, "two blocks claimed");
  engine.setAvailable(false);
  const got = Array.from({ length: 20 }, () => blocks.take());
  assert.deepEqual(
    got,
    Array.from({ length: 20 }, (_, i) => i + 1),
    "both blocks used without the engine",
  );
  assert.throws(
    () => blocks.take(),
    (e) => isEnforcerError(e, "ENF_ERR_STORE_UNAVAILABLE"),
  );
  engine.setAvailable(true);
  // An outage's retry waits half a second and holds no process open: this test holds it.
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(blocks.take(), 21, "claims resume past the mark");
  await store.close();
});

test("fake shared store: claims start above the highest seq stored when the mark is behind (data copied in)", async () => {
  const engine = new SharedMemoryEngine();
  const store = engine.view();
  const blocks = new SeqBlocks(store, () => 500, 10);
  await blocks.ready();
  assert.equal(blocks.take(), 501);
  await store.close();
});

test("three claimants on one mark never get overlapping blocks", async () => {
  const engine = new SharedMemoryEngine();
  const views = [engine.view(), engine.view(), engine.view()];
  const all = views.map((v) => new SeqBlocks(v, () => 0, 7));
  await Promise.all(all.map((b) => b.ready()));
  const seen = new Set<number>();
  for (let round = 0; round < 30; round++) {
    for (const b of all)
      for (let i = 0; i < 5; i++) {
        await b.ready(); // this pace outruns blocks of 7: wait for the next claim where it must
        seen.add(b.take());
      }
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(seen.size, 30 * 3 * 5, "every seq taken once");
  await Promise.all(views.map((v) => v.close()));
});

test("a local store's event log claims nothing: no extra commit", async () => {
  const store = new MemoryStore();
  const log = new EventLog(store);
  await log.ready();
  assert.equal(log.record("machine.seen", "m", "2026-01-01T00:00:00Z").event.seq, 1);
  assert.deepEqual(store.commits, [], "no claim commit");
});
