// Power control in core over the memory store and a fake driver: records and views, each action's steps
// on the timeline, the observed state written only on change, the per-machine queue, the bound on a run,
// and that the password is in no view, event, error or stored value.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { parseMac } from "../domain/mac.js";
import type { Machine } from "../domain/machine.js";
import { COLLECTIONS } from "../store/collections.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { createCore } from "./create-core.js";
import { WITHHELD_WORDS, type PowerDriver } from "./power-port.js";
import { FakePowerDriver } from "./testing/fake-power-driver.js";
import { ManualClock } from "./testing/fixtures.js";

const M = parseMac("52:54:00:00:16:01");
const N = parseMac("52:54:00:00:16:02");
const PASSWORD = "Pw-16-never-shown";
const IPMI = { driver: "ipmi" as const, address: "10.0.0.5", username: "admin", password: PASSWORD };

function powerCore(
  drivers: PowerDriver[],
  o: { timeoutMs?: number; key?: Buffer; store?: MemoryStore } = {},
) {
  const store = o.store ?? new MemoryStore();
  const settings = { publicUrl: "http://enf.test", retryWindowMs: 60_000, discovery: false, remotes: [] };
  const core = createCore(
    store,
    settings,
    new ManualClock(),
    { powerKey: o.key ?? randomBytes(32) },
    undefined,
    {
      drivers,
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    },
  );
  return { core, store };
}

function kinds(core: ReturnType<typeof powerCore>["core"], id: string): string[] {
  return core.events
    .forMachine(id)
    .filter((e) => e.kind.startsWith("power."))
    .map((e) => `${e.kind}${e.detail?.action ? ` ${String(e.detail.action)}` : ""}`);
}

test("fake driver: set, get, list and remove; the view says hasPassword and never carries it", async () => {
  const { core } = powerCore([new FakePowerDriver()]);
  await assert.rejects(core.power.set(M, IPMI), (e) => isEnforcerError(e, "ENF_ERR_MACHINE_NOT_FOUND"));
  await core.machines.register(M, {});
  assert.throws(
    () => core.power.get(M),
    (e) => isEnforcerError(e, "ENF_ERR_POWER_NOT_SET"),
  );
  const v = await core.power.set(M, { ...IPMI, cipherSuite: 3 });
  assert.deepEqual(
    { ...v, updatedAt: "", state: { ...v.state, at: "" } },
    {
      machine: M,
      driver: "ipmi",
      address: "10.0.0.5",
      username: "admin",
      hasPassword: true,
      cipherSuite: 3,
      updatedAt: "",
      state: { machine: M, state: "unknown", at: "" },
    },
  );
  assert.deepEqual(core.power.get(M), v);
  assert.deepEqual(core.power.list(), [v]);
  // Same driver, address, user: the password stays; another address needs it again.
  assert.equal(
    (await core.power.set(M, { driver: "ipmi", address: "10.0.0.5", username: "admin" })).hasPassword,
    true,
  );
  await assert.rejects(
    core.power.set(M, { driver: "ipmi", address: "10.0.0.6", username: "admin" }),
    (e) => isEnforcerError(e, "ENF_ERR_POWER_INVALID") && /password/.test(e.message),
  );
  await core.power.remove(M);
  assert.throws(
    () => core.power.get(M),
    (e) => isEnforcerError(e, "ENF_ERR_POWER_NOT_SET"),
  );
  await assert.rejects(core.power.remove(M), (e) => isEnforcerError(e, "ENF_ERR_POWER_NOT_SET"));
  assert.deepEqual(kinds(core, M), ["power.set", "power.set", "power.removed"]);
});

test("fake driver: an action's steps land on the timeline and the state is written only when it changes", async () => {
  const fake = new FakePowerDriver();
  const { core, store } = powerCore([fake]);
  await core.machines.register(M, {});
  await core.power.set(M, IPMI);
  const on = await core.power.act(M, "on");
  assert.deepEqual([on.state, on.detail, on.driver, on.action], ["on", "fake on: on", "ipmi", "on"]);
  assert.equal(fake.calls[0]?.target.password, PASSWORD, "the driver gets the password opened");
  assert.equal(fake.calls[0]?.target.address, "10.0.0.5");
  let writes = 0;
  store.onApplied((ops) => {
    writes += ops.filter((o) => o.collection === COLLECTIONS.powerStates).length;
  });
  assert.equal((await core.power.act(M, "status")).state, "on");
  assert.equal(writes, 0, "the same state is not written again");
  await core.power.act(M, "off");
  assert.equal(writes, 1);
  assert.equal(core.power.get(M).state.state, "off");
  assert.deepEqual(kinds(core, M), [
    "power.set",
    "power.queued on",
    "power.sent on",
    "power.state",
    "power.done on",
    "power.queued status",
    "power.sent status",
    "power.done status",
    "power.queued off",
    "power.sent off",
    "power.state",
    "power.done off",
  ]);
  const done = core.events
    .forMachine(M)
    .filter((e) => e.kind === "power.done")
    .at(-1);
  assert.deepEqual(done?.detail, { action: "off", state: "off", detail: "fake off: off" });
  assert.deepEqual(core.power.metrics().byState, { on: 0, off: 1, unknown: 0 });
  assert.deepEqual(
    core.power
      .metrics()
      .actions.map((a) => `${a.action} ${a.outcome} ${a.count}`)
      .sort(),
    ["off ok 1", "on ok 1", "status ok 1"],
  );
});

test("fake driver: a BMC's refusal is a coded error with its words on the timeline and in metrics", async () => {
  const fake = new FakePowerDriver();
  const { core } = powerCore([fake]);
  await core.machines.register(M, {});
  await core.power.set(M, IPMI);
  // A BMC (or a tool) that echoes the password back: it is scrubbed everywhere.
  fake.behave(M, {
    kind: "fail",
    code: "ENF_ERR_POWER_AUTH",
    message: `Unable to establish session (pw ${PASSWORD})\n\u0007`,
  });
  await assert.rejects(
    core.power.act(M, "cycle"),
    (e) => isEnforcerError(e, "ENF_ERR_POWER_AUTH") && e.message === WITHHELD_WORDS,
  );
  const failed = core.events.forMachine(M).find((e) => e.kind === "power.failed");
  assert.deepEqual(failed?.detail, {
    action: "cycle",
    code: "ENF_ERR_POWER_AUTH",
    message: WITHHELD_WORDS,
  });
  assert.deepEqual(core.power.get(M).state.error, {
    code: "ENF_ERR_POWER_AUTH",
    message: WITHHELD_WORDS,
  });
  assert.deepEqual(core.power.metrics().actions, [
    { driver: "ipmi", action: "cycle", outcome: "ENF_ERR_POWER_AUTH", count: 1 },
  ]);
});

test("fake driver: Wake-on-LAN only powers on; other actions are ENF_ERR_POWER_UNSUPPORTED", async () => {
  const wol = new FakePowerDriver("wol", ["on"]);
  const { core } = powerCore([wol]);
  await core.machines.register(M, {});
  await core.power.set(M, { driver: "wol" });
  const r = await core.power.act(M, "on");
  assert.deepEqual([r.state, wol.calls[0]?.target.address], ["unknown", "255.255.255.255:9"]);
  for (const a of ["off", "cycle", "status", "pxe-once"] as const) {
    await assert.rejects(core.power.act(M, a), (e) => isEnforcerError(e, "ENF_ERR_POWER_UNSUPPORTED"));
  }
  assert.equal(wol.calls.length, 1);
});

test("fake driver: bootMode comes from the machine's last boot platform unless the record sets it", async () => {
  const fake = new FakePowerDriver();
  const { core, store } = powerCore([fake]);
  const m = await core.machines.register(M, {});
  await core.power.set(M, IPMI);
  await core.power.act(M, "pxe-once");
  assert.equal(fake.calls[0]?.target.options.bootMode, undefined, "unknown platform: unset");
  const efi: Machine = { ...m, platform: "efi" };
  await store.commit([{ op: "put", collection: COLLECTIONS.machines, id: M, value: efi }]);
  await core.power.act(M, "pxe-once");
  assert.equal(fake.calls[1]?.target.options.bootMode, "uefi");
  await core.power.set(M, { driver: "ipmi", address: "10.0.0.5", username: "admin", bootMode: "legacy" });
  await core.power.act(M, "pxe-once");
  assert.equal(fake.calls[2]?.target.options.bootMode, "legacy");
});

test("fake driver: a record sealed with another power.key fails its actions with ENF_ERR_POWER_KEY, get still works", async () => {
  const store = new MemoryStore();
  const first = powerCore([new FakePowerDriver()], { store });
  await first.core.machines.register(M, {});
  await first.core.power.set(M, IPMI);
  const fake = new FakePowerDriver();
  const second = powerCore([fake], { store });
  assert.equal(second.core.power.get(M).hasPassword, true);
  await assert.rejects(second.core.power.act(M, "on"), (e) => isEnforcerError(e, "ENF_ERR_POWER_KEY"));
  assert.equal(fake.calls.length, 0, "nothing reaches the BMC");
  assert.equal(second.core.events.forMachine(M).at(-1)?.kind, "power.failed");
});

test("fake driver: one action at a time per machine, at most 4 waiting, and other machines never wait", async () => {
  const fake = new FakePowerDriver();
  const { core } = powerCore([fake]);
  for (const id of [M, N]) {
    await core.machines.register(id, {});
    await core.power.set(id, IPMI);
  }
  fake.behave(M, { kind: "held" });
  const first = core.power.act(M, "on");
  const waiting = [
    core.power.act(M, "status"),
    core.power.act(M, "off"),
    core.power.act(M, "status"),
    core.power.act(M, "cycle"),
  ];
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(fake.holding, 1, "one run on M at a time");
  const queuedBefore = core.events.forMachine(M).filter((e) => e.kind === "power.queued").length;
  await assert.rejects(core.power.act(M, "on"), (e) => isEnforcerError(e, "ENF_ERR_POWER_BUSY"));
  assert.equal(
    core.events.forMachine(M).filter((e) => e.kind === "power.queued").length,
    queuedBefore,
    "a refused action leaves nothing on the timeline",
  );
  // M's BMC holds; N is not behind it.
  assert.equal((await core.power.act(N, "on")).state, "on");
  assert.deepEqual(fake.ended, [`${N} on`]);
  fake.behave(M, { kind: "answer" });
  fake.release();
  await Promise.all([first, ...waiting]);
  assert.deepEqual(
    fake.ended.slice(1),
    [`${M} on`, `${M} status`, `${M} off`, `${M} status`, `${M} cycle`],
    "FIFO",
  );
});

test("fake driver: a BMC that never answers ends with ENF_ERR_POWER_TIMEOUT, its signal aborted, and frees the machine", async () => {
  const fake = new FakePowerDriver();
  const { core } = powerCore([fake], { timeoutMs: 50 });
  await core.machines.register(M, {});
  await core.power.set(M, IPMI);
  fake.behave(M, { kind: "hang" });
  await assert.rejects(core.power.act(M, "status"), (e) => isEnforcerError(e, "ENF_ERR_POWER_TIMEOUT"));
  assert.equal(fake.calls[0]?.signal.aborted, true);
  fake.behave(M, { kind: "answer" });
  assert.equal((await core.power.act(M, "on")).state, "on", "the machine's queue goes on");
  assert.equal(core.power.running, 0);
});

test("the password is in no stored value, event, view, error or outcome", async () => {
  const fake = new FakePowerDriver();
  const { core, store } = powerCore([fake]);
  await core.machines.register(M, {});
  await core.power.set(M, IPMI);
  const seen: unknown[] = [];
  seen.push(await core.power.act(M, "on"), core.power.get(M), core.power.list(), core.power.metrics());
  fake.behave(M, { kind: "fail", code: "ENF_ERR_POWER_REFUSED", message: `bad password ${PASSWORD}` });
  seen.push(await core.power.act(M, "off").catch((e: Error) => ({ ...e, message: e.message })));
  const stored = [COLLECTIONS.power, COLLECTIONS.powerStates, COLLECTIONS.events].flatMap((c) => [
    ...store.all(c),
  ]);
  const text = JSON.stringify([seen, stored, core.events.forMachine(M)]);
  assert.ok(
    text.includes("hasPassword") && text.includes("aes-256-gcm"),
    "the test looked at the right things",
  );
  assert.ok(!text.includes(PASSWORD), "password found");
  assert.ok(!text.includes(Buffer.from(PASSWORD).toString("base64")), "password found in base64");
});

test("fake driver: forgetting a machine drops its power control and state with it", async () => {
  const { core, store } = powerCore([new FakePowerDriver()]);
  await core.machines.register(M, {});
  await core.power.set(M, IPMI);
  await core.power.act(M, "on");
  await core.machines.forget(
    M,
    () => false,
    (id) => ({ ops: core.power.forgetOps(id), events: [] }),
  );
  assert.equal(store.get(COLLECTIONS.power, M), undefined);
  assert.equal(store.get(COLLECTIONS.powerStates, M), undefined);
  assert.deepEqual(core.power.list(), []);
});
