import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { createCore } from "./create-core.js";
import { COLLECTIONS } from "../store/collections.js";
import { testCore } from "./testing/fixtures.js";

const hex = (n: number) => (n & 255).toString(16).padStart(2, "0");
const mac = (i: number) => parseMac(`02:00:00:${hex(i >> 16)}:${hex(i >> 8)}:${hex(i)}`);
const fresh = (over: Parameters<typeof testCore>[0] = {}) => {
  const store = new MemoryStore();
  return { ...testCore(over, store), store };
};
const DAY = 24 * 3600_000;

test("boot requests for endless random MACs keep at most the cap of unknown machines, with their history", async () => {
  const { core, store } = fresh({ limits: { maxUnknownMachines: 5 } });
  await core.machines.register(mac(9999), { hostname: "claimed" });
  for (let i = 0; i < 40; i++) await core.boot.machineScript({ mac: mac(i) });
  assert.equal(store.count(COLLECTIONS.machines), 6, "5 unknown + the registered one");
  // One machine.seen each, plus the registered one's machine.created (registration is one commit).
  assert.equal(store.count(COLLECTIONS.events), 6);
  assert.equal(core.events.count(), 6);
  assert.equal(core.unknown.count(), 5);
  // The newest are kept, the oldest gone; the registered machine was never a candidate.
  assert.ok(core.machines.find(mac(39)) && !core.machines.find(mac(0)));
  assert.equal(core.machines.get(mac(9999)).hostname, "claimed");
  assert.equal(core.machines.list().total, 6);
});

test("an unknown machine that gets anything attached is kept past the cap", async () => {
  const { core, store } = fresh({ limits: { maxUnknownMachines: 2 } });
  await core.boot.machineScript({ mac: mac(1) });
  await core.machines.update(mac(1), { labels: { rack: "r1" } });
  for (let i = 2; i < 10; i++) await core.boot.machineScript({ mac: mac(i) });
  assert.ok(core.machines.find(mac(1)));
  assert.equal(store.count(COLLECTIONS.machines), 3);
});

test("a known machine falling through again within the seen interval costs no write", async () => {
  const { core, store } = fresh();
  await core.boot.machineScript({ mac: mac(1) });
  const commits = store.commits.length;
  for (let i = 0; i < 100; i++) await core.boot.machineScript({ mac: mac(1) });
  assert.equal(store.commits.length, commits);
});

test("a known machine's last-seen is written once per seen interval (--seen-interval), however often it boots", async () => {
  const { core, store, clock } = fresh({ seenIntervalMs: 3_600_000 });
  await core.boot.machineScript({ mac: mac(1) });
  const commits = store.commits.length;
  const lastSeen = () => store.get<{ lastSeen: string }>(COLLECTIONS.machines, mac(1))!.lastSeen;
  const first = lastSeen();
  for (let i = 0; i < 59; i++) {
    clock.advance(60_000); // a boot a minute for 59 minutes: within the interval, nothing written
    await core.boot.machineScript({ mac: mac(1) });
  }
  assert.equal(store.commits.length, commits);
  assert.equal(lastSeen(), first);
  clock.advance(60_000);
  await core.boot.machineScript({ mac: mac(1) });
  assert.equal(store.commits.length, commits + 1);
  assert.equal(lastSeen(), clock.now().toISOString());
});

test("unknown machines not seen for the retention age are dropped with their history", async () => {
  const { core, clock, store } = fresh({ limits: { historyDays: 10 } });
  await core.boot.machineScript({ mac: mac(1) });
  await core.boot.machineScript({ mac: mac(2) });
  await core.machines.update(mac(2), { hostname: "kept" });
  clock.advance(5 * DAY);
  await core.boot.machineScript({ mac: mac(3) });
  clock.advance(6 * DAY);
  const r = await core.retention.sweep();
  assert.equal(r.unknownMachines, 1);
  assert.deepEqual([...store.all<{ id: string }>(COLLECTIONS.machines)].map((m) => m.id).sort(), [
    mac(2),
    mac(3),
  ]);
});

test("with discovery on, random MACs on both boot endpoints stay within both caps", async () => {
  const { core, store } = fresh({
    discovery: true,
    discoveryKernel: "http://img/vmlinuz",
    limits: { maxUnknownMachines: 4, maxDiscoverySessions: 3 },
  });
  for (let i = 0; i < 30; i++) {
    await core.boot.machineScript({ mac: mac(i) });
    await core.boot.discoveryScript({ mac: mac(1000 + i) });
  }
  assert.equal(store.count(COLLECTIONS.machines), 4);
  assert.equal(store.count(COLLECTIONS.agentSessions), 3);
  // The same boot asking both endpoints gets one key, in one commit with its seen record.
  const before = store.commits.length;
  const a = await core.boot.machineScript({ mac: mac(500) });
  const b = await core.boot.discoveryScript({ mac: mac(500) });
  assert.equal(store.commits.length, before + 1);
  assert.equal(a.kind, "discovery");
  assert.deepEqual(a, b);
});

test("after every unknown machine and its history aged out, a restart still numbers events onwards", async () => {
  const { core, clock, store } = fresh({ limits: { historyDays: 1 } });
  for (let i = 0; i < 3; i++) await core.boot.machineScript({ mac: mac(i) });
  const last = core.events.lastSeq();
  clock.advance(2 * DAY);
  await core.retention.sweep();
  assert.equal(store.count(COLLECTIONS.events), 0);
  const restarted = createCore(store, core.settings, clock);
  await restarted.boot.machineScript({ mac: mac(7) });
  assert.equal(restarted.events.lastSeq(), last + 1);
});

test("discovery reports for endless invented MACs stay under the same cap, conflicts they raise go with them", async () => {
  const { core, store } = fresh({ limits: { maxUnknownMachines: 4 } });
  const other = mac(9999);
  await core.machines.register(other, { hostname: "real" });
  const inventory = { cpu: { model: "x".repeat(1000) } };
  for (let i = 0; i < 30; i++) {
    const self = mac(i);
    // Half of them also claim the real machine's MAC: each raises a conflict.
    const macs = i % 2 ? [self, other] : [self];
    await core.agentReports.report({ kind: "discovery", mac: self }, macs, inventory);
  }
  assert.equal(core.unknown.count(), 4);
  assert.equal(store.count(COLLECTIONS.machines), 5, "4 discovered + the registered one");
  assert.ok(core.machines.find(mac(29)) && !core.machines.find(mac(0)));
  assert.equal(core.machines.get(other).hostname, "real");
  assert.ok(core.conflicts.list({ state: "all" }).length <= 2, "only the kept machines' conflicts remain");
});

test("a discovered machine the operator has touched is kept past the cap", async () => {
  const { core } = fresh({ limits: { maxUnknownMachines: 2 } });
  await core.agentReports.report({ kind: "discovery", mac: mac(1) }, [mac(1)], { vendor: "v" });
  await core.machines.update(mac(1), { hostname: "kept" });
  await core.agentReports.report({ kind: "discovery", mac: mac(2) }, [mac(2)], { vendor: "v" });
  for (let i = 3; i < 12; i++)
    await core.agentReports.report({ kind: "discovery", mac: mac(i) }, [mac(i)], { vendor: "v" });
  assert.equal(core.machines.get(mac(1)).hostname, "kept");
  assert.equal(core.unknown.count(), 2);
});

test("a machine back with an operator's history does not take an unknown machine's place under the cap", async () => {
  const { core, clock } = fresh({ limits: { maxUnknownMachines: 2 } });
  const back = mac(500);
  // Known to the operator once (a command queued, then forgotten): its history is more than anonymous boots.
  await core.machines.register(back, {});
  await core.commands.enqueue(back, "reboot");
  await core.machines.forget(
    back,
    () => false,
    (id, at) => core.commands.failLiveOps(id, at),
  );
  await core.boot.machineScript({ mac: mac(1) });
  clock.advance(1000);
  await core.boot.machineScript({ mac: back }); // a bare record again, but claimed by its history
  assert.equal(core.unknown.isUnknown(back), false);
  clock.advance(1000);
  await core.boot.machineScript({ mac: mac(2) });
  // Two unknown machines, a cap of two: nobody is pushed out.
  assert.ok(core.machines.find(mac(1)), "the first unknown machine is still there");
  assert.ok(core.machines.find(mac(2)));
  assert.ok(core.machines.find(back));
});
