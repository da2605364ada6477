import assert from "node:assert/strict";
import { test } from "node:test";
import { parseSerial, parseUuid } from "../domain/identity.js";
import { parseMac } from "../domain/mac.js";
import type { Machine } from "../domain/machine.js";
import { testCore } from "./testing/fixtures.js";

const at = "2026-01-01T00:00:00.000Z";
const machine = (mac: string, extra: Partial<Machine> = {}): Machine => ({
  id: parseMac(mac),
  macs: [parseMac(mac)],
  labels: {},
  facts: {},
  firstSeen: at,
  lastSeen: at,
  origin: "seen",
  ...extra,
});
const put = (m: Machine) => ({ op: "put" as const, collection: "machines", id: m.id, value: m });

test("a machine another process stores is found by every MAC, UUID and serial, and listed", async () => {
  const { core, store } = testCore();
  const m = machine("52:54:00:00:00:01", {
    macs: [parseMac("52:54:00:00:00:01"), parseMac("52:54:00:00:00:02")],
    uuid: parseUuid("4c4c4544-0000-1000-8000-000000000001"),
    serial: parseSerial("SN-1"),
  });
  await store.commit([put(m)]); // straight to the store, as a shared backend's feed would bring it
  assert.equal(core.machines.find(parseMac("52:54:00:00:00:02"))?.id, m.id);
  const owners = core.machines.owners();
  assert.deepEqual(owners.uuid(m.uuid!), [m.id]);
  assert.deepEqual(owners.serial("SN-1"), [m.id]);
  assert.deepEqual(
    core.machines.list().items.map((x) => x.id),
    [m.id],
  );
  assert.equal(core.unknown.count(), 1, "a bare record counts towards the unknown cap");
  await store.commit([{ op: "del", collection: "machines", id: m.id }]);
  assert.equal(core.machines.find(parseMac("52:54:00:00:00:02")), undefined);
  assert.deepEqual(core.machines.owners().uuid(m.uuid!), []);
  assert.equal(core.unknown.count(), 0);
});

test("building ops changes no lookup: a change that is never committed leaves no trace", async () => {
  const { core } = testCore();
  const m = machine("52:54:00:00:00:03", { serial: parseSerial("SN-3") });
  core.machines.putOp(m);
  core.unknown.touchOps(m);
  core.events.record("machine.seen", m.id, at);
  assert.equal(core.machines.find(m.id), undefined);
  assert.deepEqual(core.machines.owners().serial("SN-3"), []);
  assert.equal(core.unknown.count(), 0);
  assert.equal(core.events.count(), 0);
});

test("a record that gets a hostname through the store stops counting as unknown", async () => {
  const { core, store } = testCore();
  const m = machine("52:54:00:00:00:04");
  await store.commit([put(m)]);
  assert.equal(core.unknown.count(), 1);
  await store.commit([put({ ...m, hostname: "named" })]);
  assert.equal(core.unknown.count(), 0);
  assert.equal(core.unknown.isUnknown(m.id), false);
});
