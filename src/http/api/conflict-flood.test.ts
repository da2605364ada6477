// Anonymous clients (discovery keys for invented MACs) claiming a real machine's MAC: each claim is refused
// and recorded as a conflict with an event on the real machine's timeline. Without a bound, a few hundred
// invented MACs pushed the real machine's own history (its configs' lifecycle) out through retention.
import assert from "node:assert/strict";
import { test } from "node:test";
import { testApp } from "../testing/app.js";

const REAL = "52:54:00:00:00:01";
const invented = (i: number) =>
  `02:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;

async function claim(t: Awaited<ReturnType<typeof testApp>>, mac: string) {
  const script = await t.http.inject(`/boot/machine?mac=${mac}&platform=efi`);
  const key = /enforcer\.key=(\S+)/.exec(script.body)![1]!;
  const r = await t.http.inject({
    method: "POST",
    url: "/api/v1/agent/report",
    payload: { macs: [mac, REAL], inventory: {} },
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(r.statusCode, 200, r.body);
}

test("conflicts: invented machines cannot flood a real machine's timeline or its conflict list", async () => {
  const t = await testApp({
    discovery: true,
    discoveryKernel: "http://img/vmlinuz",
    discoveryInitrd: "http://img/initrd.gz",
    limits: { historyPerMachine: 50, maxUnknownMachines: 40 },
  });
  const reg = await t.api({
    method: "POST",
    url: "/api/v1/machines",
    payload: { mac: REAL, hostname: "real" },
  });
  assert.equal(reg.statusCode, 201, reg.body);
  // 120 invented machines: three times the unknown cap, so the first ones are evicted along the way.
  for (let i = 1; i <= 120; i++) await claim(t, invented(i));
  await t.core.retention.sweep();
  const kinds = t.core.events.forMachine(REAL).map((e) => e.kind);
  assert.ok(kinds.includes("machine.created"), "the real machine keeps its own history");
  const flood = kinds.filter((k) => k === "machine.conflict").length;
  assert.ok(flood <= 16, `${flood} conflict events from anonymous claims on the real machine`);
  const open = t.core.conflicts.list({ machine: REAL }).length;
  assert.ok(open >= 1 && open <= 16, `${open} open conflicts against the real machine`);
  await t.http.close();
});

test("reports: one discovery key cannot pile up events between retention sweeps", async () => {
  const t = await testApp({
    discovery: true,
    discoveryKernel: "http://img/vmlinuz",
    discoveryInitrd: "http://img/initrd.gz",
    limits: { historyPerMachine: 20 },
  });
  const mac = invented(1);
  const script = await t.http.inject(`/boot/machine?mac=${mac}&platform=efi`);
  const key = /enforcer\.key=(\S+)/.exec(script.body)![1]!;
  // Each report changes the facts, so each is a machine.updated event; retention runs only every 10 minutes.
  for (let i = 0; i < 200; i++) {
    const r = await t.http.inject({
      method: "POST",
      url: "/api/v1/agent/report",
      payload: { macs: [mac], inventory: { i } },
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(r.statusCode, 200, r.body);
  }
  assert.ok(
    t.core.events.forMachine(mac).length <= 20,
    `${t.core.events.forMachine(mac).length} events kept`,
  );
  assert.ok(t.core.events.count() <= 25, `${t.core.events.count()} events in all`);
  assert.ok([...t.store.all("events")].length <= 25, "and in the store");
  await t.http.close();
});

test("conflicts: the list is paged, so one request never builds every record at once", async () => {
  const t = await testApp();
  const at = new Date(0).toISOString();
  const ops = Array.from({ length: 1200 }, (_, i) => ({
    op: "put" as const,
    collection: "conflicts",
    id: `c${String(i).padStart(5, "0")}`,
    value: {
      id: `c${String(i).padStart(5, "0")}`,
      machine: invented(i + 1),
      other: REAL,
      identities: [{ kind: "mac", value: REAL }],
      reported: { macs: [invented(i + 1), REAL] },
      agent: "json:discovery",
      credential: "discovery key",
      state: "open",
      createdAt: at,
      updatedAt: at,
    },
  }));
  await t.store.commit(ops);
  const all = await t.as("viewer", "/api/v1/conflicts");
  assert.equal(all.statusCode, 200, all.body);
  assert.ok(all.json().items.length <= 1000, `${all.json().items.length} conflicts in one answer`);
  assert.equal(all.json().total, 1200);
  const page = await t.as("viewer", "/api/v1/conflicts?limit=10&offset=1195");
  assert.equal(page.json().items.length, 5);
  await t.http.close();
});

test("conflicts: a machine cannot be merged into one only anonymous clients spoke for", async () => {
  // An invented machine took the second NIC's MAC first; the real host's agent then names that MAC.
  const t = await testApp({
    discovery: true,
    discoveryKernel: "http://img/vmlinuz",
    discoveryInitrd: "http://img/initrd.gz",
  });
  const nic2 = "52:54:00:00:00:99";
  const squat = invented(7);
  const script = await t.http.inject(`/boot/machine?mac=${squat}&platform=efi`);
  const key = /enforcer\.key=(\S+)/.exec(script.body)![1]!;
  const claim = await t.http.inject({
    method: "POST",
    url: "/api/v1/agent/report",
    payload: { macs: [squat, nic2], inventory: { product: "attacker" } },
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(claim.statusCode, 200, claim.body);
  const real = await t.as("agent", {
    method: "POST",
    url: "/api/v1/agent/report",
    payload: { macs: [REAL, nic2], inventory: { product: "real" } },
  });
  const [id] = real.json().conflicts as string[];
  assert.ok(id, real.body);
  // Merging would forget the real host and fold it into the invented record (its facts, its id, its key).
  const merge = await t.api({
    method: "POST",
    url: `/api/v1/conflicts/${id}/resolve`,
    payload: { action: "merge" },
  });
  assert.equal(merge.statusCode, 409, merge.body);
  assert.equal(merge.json().code, "ENF_ERR_CONFLICT_MERGE_REFUSED");
  assert.equal(t.core.machines.get(REAL).facts.product, "real", "the real host is untouched");
  // What the refusal advises: forget the invented machine, and the host's next report takes the MAC.
  assert.equal((await t.api({ method: "DELETE", url: `/api/v1/machines/${squat}` })).statusCode, 204);
  const again = await t.as("agent", {
    method: "POST",
    url: "/api/v1/agent/report",
    payload: { macs: [REAL, nic2], inventory: { product: "real" } },
  });
  assert.equal(again.statusCode, 200, again.body);
  assert.deepEqual(t.core.machines.get(REAL).macs, [REAL, nic2]);
  await t.http.close();
});
