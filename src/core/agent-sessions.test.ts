import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { AgentSessionService } from "./agent-sessions.js";
import { COLLECTIONS } from "../store/collections.js";
import { ManualClock } from "./testing/fixtures.js";

const SECRET = Buffer.alloc(32, 7);
const mac = (i: number) => parseMac(`52:54:00:00:01:${i.toString(16).padStart(2, "0")}`);
const HOUR = 3600_000;

function sessions(max = 100, store = new MemoryStore(), clock = new ManualClock(), secret = SECRET) {
  return { s: new AgentSessionService(store, clock, secret, max), store, clock };
}

test("repeated discovery requests of one boot get the same key and write once", async () => {
  const { s, store } = sessions();
  const first = await s.create(mac(1));
  for (let i = 0; i < 50; i++) assert.equal((await s.create(mac(1))).key, first.key);
  assert.equal(store.commits.length, 1);
  assert.equal(store.count(COLLECTIONS.agentSessions), 1);
  assert.equal(s.verify(first.key)?.mac, mac(1));
});

test("the store holds only a hash and a nonce: no key, and the same records with another secret give none", async () => {
  const { s, store, clock } = sessions();
  const { key } = await s.create(mac(1));
  const stored = JSON.stringify([...store.all(COLLECTIONS.agentSessions)]);
  assert.ok(!stored.includes(key.slice(4)), "the key is stored");
  assert.equal(s.verify(key)?.mac, mac(1));
  // With the store but another secret, the stored nonce does not give the key back (a new one would be made).
  const thief = new AgentSessionService(store, clock, Buffer.alloc(32, 9), 100);
  const attempt = thief.issueOps(mac(1));
  assert.notEqual(attempt.session.key, key);
  assert.ok(attempt.ops.some((o) => o.op === "put"));
});

test("a restart with the same secret reuses the live session", async () => {
  const { s, store, clock } = sessions();
  const { key } = await s.create(mac(1));
  const again = new AgentSessionService(store, clock, SECRET, 100);
  assert.equal((await again.create(mac(1))).key, key);
  assert.equal(store.count(COLLECTIONS.agentSessions), 1);
});

test("a new boot after the reuse window rotates the key: one live session per MAC", async () => {
  const { s, store, clock } = sessions();
  const old = await s.create(mac(1));
  clock.advance(2 * HOUR);
  const next = await s.create(mac(1));
  assert.notEqual(next.key, old.key);
  assert.equal(s.verify(old.key), undefined);
  assert.equal(s.verify(next.key)?.mac, mac(1));
  assert.equal(store.count(COLLECTIONS.agentSessions), 1);
});

test("at most `max` live sessions: the oldest is revoked first", async () => {
  const { s, store } = sessions(3);
  const keys = [];
  for (let i = 0; i < 5; i++) keys.push((await s.create(mac(i))).key);
  assert.equal(store.count(COLLECTIONS.agentSessions), 3);
  assert.equal(s.count(), 3);
  assert.deepEqual(
    keys.map((k) => !!s.verify(k)),
    [false, false, true, true, true],
  );
});

test("expired sessions stop verifying and are pruned without a scan of the live ones", async () => {
  const { s, store, clock } = sessions();
  const a = await s.create(mac(1));
  clock.advance(23 * HOUR);
  const b = await s.create(mac(2));
  clock.advance(2 * HOUR);
  assert.equal(s.verify(a.key), undefined);
  assert.equal(s.verify(b.key)?.mac, mac(2));
  const ops = s.pruneOps();
  assert.equal(ops.length, 1);
  await store.commit(ops);
  assert.equal(store.count(COLLECTIONS.agentSessions), 1);
});

test("plain-text sessions from older versions still verify, are moved under their hash and never reused", async () => {
  const legacyKey = "ens_AbCdEfGhIjKlMnOpQrStUvWxYz012345";
  const clock = new ManualClock();
  const now = clock.now().getTime();
  const store = new MemoryStore([
    {
      op: "put",
      collection: COLLECTIONS.agentSessions,
      id: legacyKey,
      value: {
        key: legacyKey,
        mac: mac(1),
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + 24 * HOUR).toISOString(),
      },
    },
  ]);
  const { s } = sessions(100, store, clock);
  assert.equal(s.verify(legacyKey)?.mac, mac(1));
  await store.commit(s.pruneOps());
  assert.ok(!JSON.stringify([...store.all(COLLECTIONS.agentSessions)]).includes(legacyKey.slice(4)));
  assert.equal(s.verify(legacyKey)?.mac, mac(1));
  const next = await s.create(mac(1));
  assert.notEqual(next.key, legacyKey);
  assert.equal(s.verify(legacyKey), undefined);
  assert.equal(store.count(COLLECTIONS.agentSessions), 1);
});

test("malformed keys are refused before any lookup", () => {
  const { s } = sessions();
  for (const k of ["", "ens_", "ens_short", `ens_${"A".repeat(33)}`, `enf_${"A".repeat(32)}`])
    assert.equal(s.verify(k), undefined);
});

test("a key whose ops were never committed (a boot that failed) changes nothing: the index follows the store", async () => {
  const { s, store } = sessions(2);
  const a = await s.create(mac(1));
  s.issueOps(mac(2)); // built, then dropped
  s.issueOps(mac(3));
  assert.equal(s.count(), 1);
  assert.equal(s.verify(a.key)?.mac, mac(1), "not pushed out by keys that were never stored");
  const b = await s.create(mac(2));
  assert.equal(s.count(), 2);
  // Under the limit, the oldest stored key goes when the next is stored.
  await s.create(mac(3));
  assert.deepEqual([!!s.verify(a.key), !!s.verify(b.key)], [false, true]);
  assert.equal(store.count(COLLECTIONS.agentSessions), 2);
});
