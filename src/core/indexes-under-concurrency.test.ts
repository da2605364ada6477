import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import type { BootConfig } from "../domain/boot-config.js";
import type { Command } from "../domain/command.js";
import type { MachineEvent } from "../domain/events.js";
import { parseMac } from "../domain/mac.js";
import type { Machine } from "../domain/machine.js";
import { parseSerial, parseUuid } from "../domain/identity.js";
import { COLLECTIONS } from "../store/collections.js";
import { FileStore } from "../store/file-store.js";
import type { Store } from "../store/store.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { createCore, type Core } from "./create-core.js";
import { CUSTOM_PROFILE, ManualClock } from "./testing/fixtures.js";

// Random interleavings of the core's writes (several started at once, as concurrent requests do), then every
// index the change feed keeps is compared with one a fresh core builds from a scan of the same data: what a
// restart would see. Invariants a user notices are checked on the way.

const MACS = Array.from({ length: 6 }, (_, i) => parseMac(`52:54:00:00:09:0${i}`));
const UUIDS = [
  parseUuid("4c4c4544-0000-1000-8000-000000000001"),
  parseUuid("4c4c4544-0000-1000-8000-000000000002"),
];
const SERIALS = [parseSerial("SN-A"), parseSerial("SN-B")];
const HOUR = 3600_000;
const PROBE: Machine = {
  id: parseMac("52:54:00:00:0f:ff"),
  macs: [parseMac("52:54:00:00:0f:ff")],
  labels: {},
  facts: {},
  firstSeen: "2026-01-01T00:00:00.000Z",
  lastSeen: "2026-01-01T00:00:00.000Z",
  origin: "seen",
};
const settings = {
  publicUrl: "http://enf.test:8080",
  retryWindowMs: HOUR,
  discovery: true,
  discoveryKernel: "http://enf.test:8080/tftp/discovery/vmlinuz",
  remotes: [],
  limits: {
    maxDiscoverySessions: 3,
    maxUnknownMachines: 2,
    finishedPerMachine: 1,
    historyDays: 1,
    historyPerMachine: 40,
  },
};

type Op =
  | { t: "boot"; mac: number; uuid?: number; serial?: number }
  | { t: "register"; mac: number }
  | { t: "create"; mac: number }
  | { t: "arm" | "cancel" | "complete"; config: number }
  | { t: "forget"; mac: number }
  | { t: "report"; mac: number; macs: number[]; uuid?: number; serial?: number }
  | { t: "enqueue"; mac: number }
  | { t: "take"; mac: number }
  | { t: "ack"; command: number }
  | { t: "sweep" }
  | { t: "poll"; mac: number }
  | { t: "deliver" }
  | { t: "treport"; token: number; mac: number; macs: number[] }
  | { t: "label"; mac: number }
  | { t: "resolve"; conflict: number; merge: boolean }
  | { t: "discovery"; on: boolean }
  | { t: "expire" }
  | { t: "advance"; ms: number };

const mac = fc.nat({ max: MACS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    t: fc.constant("boot" as const),
    mac,
    uuid: fc.option(fc.nat({ max: 1 }), { nil: undefined }),
    serial: fc.option(fc.nat({ max: 1 }), { nil: undefined }),
  }),
  fc.record({ t: fc.constant("register" as const), mac }),
  fc.record({ t: fc.constant("create" as const), mac }),
  fc.record({
    t: fc.constantFrom("arm" as const, "cancel" as const, "complete" as const),
    config: fc.nat({ max: 7 }),
  }),
  fc.record({ t: fc.constant("forget" as const), mac }),
  fc.record({
    t: fc.constant("report" as const),
    mac,
    macs: fc.array(mac, { maxLength: 3 }),
    uuid: fc.option(fc.nat({ max: 1 }), { nil: undefined }),
    serial: fc.option(fc.nat({ max: 1 }), { nil: undefined }),
  }),
  fc.record({ t: fc.constant("enqueue" as const), mac }),
  fc.record({ t: fc.constant("take" as const), mac }),
  fc.record({ t: fc.constant("ack" as const), command: fc.nat({ max: 7 }) }),
  fc.constant({ t: "sweep" as const }),
  fc.record({ t: fc.constant("poll" as const), mac }),
  fc.constant({ t: "deliver" as const }),
  fc.record({
    t: fc.constant("treport" as const),
    token: fc.nat({ max: 1 }),
    mac,
    macs: fc.array(mac, { maxLength: 2 }),
  }),
  fc.record({ t: fc.constant("label" as const), mac }),
  fc.record({ t: fc.constant("resolve" as const), conflict: fc.nat({ max: 3 }), merge: fc.boolean() }),
  fc.record({ t: fc.constant("discovery" as const), on: fc.boolean() }),
  fc.constant({ t: "expire" as const }),
  fc.record({ t: fc.constant("advance" as const), ms: fc.constantFrom(1, 61_000, 2 * HOUR, 13 * HOUR) }),
);
/** Rounds of operations started together. */
const scenario = fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 12 });

interface Tally {
  tokens: { id: string; name: string }[];
  triggered: Map<string, number>;
  taken: Map<string, number>;
  published: number[];
}

async function run(core: Core, clock: ManualClock, op: Op, tally: Tally): Promise<void> {
  const configs = [...core.configs.list()].sort((a, b) => a.id.localeCompare(b.id));
  const commands = [...core.commands.list()].sort((a, b) => a.id.localeCompare(b.id));
  switch (op.t) {
    case "boot": {
      const d = await core.boot.machineScript({
        mac: MACS[op.mac]!,
        uuid: op.uuid === undefined ? undefined : UUIDS[op.uuid],
        serial: op.serial === undefined ? undefined : SERIALS[op.serial],
      });
      void d;
      return;
    }
    case "register":
      await core.machines.register(MACS[op.mac]!, {});
      return;
    case "create":
      await core.configs.create({ machine: MACS[op.mac]!, profile: "linux" });
      return;
    case "arm":
    case "cancel":
    case "complete": {
      const c = configs[op.config % Math.max(1, configs.length)];
      if (!c) return;
      if (op.t === "arm") await core.configs.arm(c.id);
      else if (op.t === "cancel") await core.configs.cancel(c.id);
      else await core.configs.complete(c.secret);
      return;
    }
    case "forget":
      await core.machines.forget(
        MACS[op.mac]!,
        (id) => core.configs.holdingFor(id) !== undefined,
        (id, at) => {
          const drafts = core.configs.cancelDraftsOps(id, at);
          const cmds = core.commands.failLiveOps(id, at);
          return {
            ops: [...core.conflicts.forgetOps(id), ...drafts.ops, ...cmds.ops],
            events: [...drafts.events, ...cmds.events],
          };
        },
      );
      return;
    case "report":
      await core.agentReports.report(
        { kind: "discovery", mac: MACS[op.mac]! },
        [MACS[op.mac]!, ...op.macs.map((i) => MACS[i]!)],
        {
          cpu: { model: "x" },
          ...(op.uuid === undefined ? {} : { uuid: UUIDS[op.uuid] }),
          ...(op.serial === undefined ? {} : { serial: SERIALS[op.serial] }),
        },
      );
      return;
    case "enqueue":
      await core.commands.enqueue(MACS[op.mac]!, "reboot");
      return;
    case "take": {
      const m = core.machines.find(MACS[op.mac]!);
      if (!m) return;
      for (const c of await core.commandPolls.takeCommands("json:test", m.id, 0))
        tally.taken.set(c.id, (tally.taken.get(c.id) ?? 0) + 1);
      return;
    }
    case "ack": {
      const c = commands[op.command % Math.max(1, commands.length)];
      if (c) await core.commandPolls.acknowledge(c.machine, c.id, true, "ok");
      return;
    }
    case "sweep":
      await core.retention.sweep();
      return;
    case "resolve": {
      const open = core.conflicts.list({ state: "open" });
      const c = [...open].sort((a, b) => a.id.localeCompare(b.id))[op.conflict % Math.max(1, open.length)];
      if (c) await core.conflicts.resolve(c.id, op.merge ? "merge" : "dismiss", "test");
      return;
    }
    case "poll": {
      // A long poll that waits for a command (another op of the round may queue one meanwhile).
      const m = core.machines.find(MACS[op.mac]!);
      if (!m) return;
      for (const c of await core.commandPolls.takeCommands("json:poll", m.id, 3))
        tally.taken.set(c.id, (tally.taken.get(c.id) ?? 0) + 1);
      return;
    }
    case "deliver":
      await core.commands.deliverQueued();
      return;
    case "treport": {
      const t = tally.tokens[op.token]!;
      await core.agentReports.report(
        { kind: "token", id: t.id, name: t.name, role: "agent" },
        [MACS[op.mac]!, ...op.macs.map((i) => MACS[i]!)],
        { cpu: { model: "y" } },
      );
      return;
    }
    case "label":
      await core.machines.update(MACS[op.mac]!, { labels: { rack: "r1" } });
      return;
    case "discovery":
      await core.settings.update({ discovery: op.on });
      return;
    case "expire":
      await core.configs.expireDue();
      return;
    case "advance":
      clock.advance(op.ms);
      return;
  }
}

/** What the indexes answer, for every identity and record the scenario can touch. */
function view(core: Core, store: Store) {
  const machines = [...store.all<Machine>(COLLECTIONS.machines)];
  const ids = new Set<string>([...MACS, ...machines.map((m) => m.id)]);
  const owners = core.machines.owners();
  return {
    find: MACS.map((m) => core.machines.find(m)?.id ?? null),
    uuid: UUIDS.map((u) => owners.uuid(u!).sort()),
    serial: SERIALS.map((s) => owners.serial(s!).sort()),
    list: core.machines.list({ limit: 1000 }).items.map((m) => m.id),
    perMachine: [...ids].sort().map((id) => ({
      id,
      holding: core.configs.holdingFor(id)?.id ?? null,
      state: core.configs.stateOf(id),
      booted: core.configs.lastBootedAt(id) ?? null,
      unknown: core.unknown.isUnknown(id),
      history: core.events.forMachine(id).map((e) => e.seq),
      open: core.commands.open.of(id).map((c) => c.id),
    })),
    secrets: [...store.all<BootConfig>(COLLECTIONS.configs)]
      .map((c) => [c.id, core.configs.bySecretToken(c.secret)?.id ?? null])
      .sort(),
    replay: core.events.since(0).map((e) => e.seq),
    events: core.events.count(),
    // Not unknown.count(): the live order drops a machine claimed by a config or an event lazily (by design).
    unknownCount: [...ids].filter((id) => core.unknown.isUnknown(id)).length,
    lastSeq: core.events.lastSeq(),
    sessions: core.sessions.count(),
    // Likewise the discovery sessions a new key would revoke (expired ones, then the oldest past the cap).
    revokesNext: core.sessions
      .issueOps(PROBE.id)
      .ops.filter((o) => o.op === "del")
      .map((o) => store.get<{ createdAt: string }>(COLLECTIONS.agentSessions, o.id)?.createdAt),
    // When the unknown machine a new one would push out was last seen (building ops commits nothing). Its
    // time, not its id: of machines last seen in the same millisecond, the live order has the one written
    // first, a restart the one stored first; either is the least recently seen.
    evictsNext: core.unknown
      .touchOps(PROBE)
      .filter((o) => o.collection === COLLECTIONS.machines)
      .map((o) => store.get<Machine>(COLLECTIONS.machines, o.id)?.lastSeen),
    discovery: core.settings.discovery,
  };
}

function checkInvariants(core: Core, store: Store, tally: Tally): void {
  const owner = new Map<string, string>();
  for (const m of store.all<Machine>(COLLECTIONS.machines))
    for (const x of m.macs) {
      assert.equal(owner.get(x), undefined, `MAC ${x} is held by ${owner.get(x)} and ${m.id}`);
      owner.set(x, m.id);
    }
  for (const [id, n] of tally.triggered) assert.equal(n, 1, `config ${id} triggered ${n} times`);
  for (const [id, n] of tally.taken) assert.equal(n, 1, `command ${id} taken ${n} times`);
  const holders = new Map<string, string>();
  for (const c of store.all<BootConfig>(COLLECTIONS.configs))
    if (c.lifecycle.state === "armed" || c.lifecycle.state === "triggered") {
      assert.equal(holders.get(c.machine), undefined, `machine ${c.machine} held by two configs`);
      holders.set(c.machine, c.id);
    }
  const replay = core.events.since(0).map((e) => e.seq);
  for (let i = 1; i < replay.length; i++) assert.ok(replay[i - 1]! < replay[i]!, "replay ascending");
  const stored = [...store.all<MachineEvent>(COLLECTIONS.events)]
    .map((e) => e.seq)
    .filter((s) => s <= core.events.durableSeq())
    .sort((a, b) => a - b);
  assert.deepEqual(replay, stored, "replay is every stored event up to durableSeq");
  assert.equal(core.events.count(), store.count(COLLECTIONS.events));
  for (let i = 1; i < tally.published.length; i++)
    assert.ok(
      tally.published[i - 1]! < tally.published[i]!,
      `published out of order: ${tally.published.join(",")}`,
    );
  const open = [...store.all<Command>(COLLECTIONS.commands)].filter(
    (c) => c.state === "queued" || c.state === "sent",
  );
  assert.equal(core.commands.open.all().length, open.length);
}

function watch(core: Core): Tally {
  const tally: Tally = { tokens: [], triggered: new Map(), taken: new Map(), published: [] };
  core.events.subscribe((e) => {
    tally.published.push(e.seq);
    if (e.kind === "config.triggered" && e.config)
      tally.triggered.set(e.config, (tally.triggered.get(e.config) ?? 0) + 1);
  });
  return tally;
}

/** Runs one scenario (exported so a failing counterexample can be replayed by hand). */
export async function scenarioOver(
  store: Store,
  rounds: Op[][],
  reopen?: () => Promise<Store>,
  /** Makes the disk fail before round `at`, then restarts from what is durable. */
  failing?: { at: number; breakDisk: () => Promise<void>; reopen: () => Promise<Store> },
): Promise<void> {
  const clock = new ManualClock();
  const core = createCore(store, settings, clock, { sessionSecret: new Uint8Array(32) });
  await core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  const tally = watch(core);
  // An executor that reaches the machines of even MACs, delivering on the next turn (other ops run meanwhile).
  core.commands.addExecutor({
    reach: (machine) =>
      MACS.indexOf(machine as (typeof MACS)[number]) % 2 === 0
        ? {
            via: "ipmi:test",
            deliver: async (c) => {
              tally.taken.set(c.id, (tally.taken.get(c.id) ?? 0) + 1);
              await new Promise((resolve) => setImmediate(resolve));
              return { state: "acknowledged", detail: "done" };
            },
          }
        : undefined,
  });
  for (const name of ["agent-a", "agent-b"])
    tally.tokens.push((await core.tokens.create(name, "agent")).info);
  for (const [i, round] of rounds.entries()) {
    if (i === failing?.at) await failing.breakDisk();
    await Promise.allSettled(round.map((op) => run(core, clock, op, tally)));
    await core.retention.settled();
    if (!failing) checkInvariants(core, store, tally);
  }
  if (failing) {
    // The disk failed: memory may be ahead of it. What a restart finds must agree with all that was published.
    await store.close().catch(() => undefined);
    const again = await failing.reopen();
    try {
      const restarted = createCore(again, settings, clock, { sessionSecret: new Uint8Array(32) });
      const top = Math.max(0, ...tally.published);
      assert.ok(
        restarted.events.lastSeq() >= top,
        `seq ${top} was published, a restart would hand it out again`,
      );
      for (const id of tally.triggered.keys())
        assert.notEqual(
          again.get<BootConfig>(COLLECTIONS.configs, id)?.lifecycle.state,
          "armed",
          `config ${id} was triggered (published) and is armed again after a restart`,
        );
    } finally {
      await again.close();
    }
    return;
  }
  const live = view(core, store);
  await core.retention.settled();
  if (store instanceof MemoryStore) {
    // The same data loaded at once, as a restart scans it: every commit's ops in order.
    const copy = new MemoryStore(store.commits.flat());
    const scanned = createCore(copy, settings, clock, { sessionSecret: new Uint8Array(32) });
    assert.deepEqual(view(scanned, copy), live, "indexes from the feed equal indexes from a scan");
  }
  if (reopen) {
    await store.close();
    const again = await reopen();
    try {
      const restarted = createCore(again, settings, clock, { sessionSecret: new Uint8Array(32) });
      assert.deepEqual(view(restarted, again), live, "indexes after a restart equal the live ones");
    } finally {
      await again.close();
    }
  }
}

test("indexes kept from the change feed equal a rebuild, under concurrent writes (memory store)", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, (rounds) => scenarioOver(new MemoryStore(), rounds)),
    { numRuns: 150 },
  );
});

test("indexes kept from the change feed equal those after a restart (file store)", async () => {
  const base = mkdtempSync(join(tmpdir(), "enf-idx-"));
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(scenario, async (rounds) => {
        const dir = join(base, String(n++));
        mkdirSync(dir);
        const open = () => FileStore.open({ dir, compactBytes: 4096 });
        const store = await open();
        try {
          await scenarioOver(store, rounds, open);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 25 },
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test("after a disk failure, a restart agrees with everything published (no seq again, no trigger again)", async () => {
  const base = mkdtempSync(join(tmpdir(), "enf-idx-fail-"));
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(scenario, fc.nat({ max: 11 }), async (rounds, at) => {
        const dir = join(base, String(n++));
        mkdirSync(dir);
        const open = () => FileStore.open({ dir, compactBytes: 4096 });
        const store = await open();
        // Closing the journal under the store makes its next write fail as a dying disk would.
        const breakDisk = () => (store as unknown as { journal: FileHandle }).journal.close();
        await scenarioOver(store, rounds, undefined, { at: at % rounds.length, breakDisk, reopen: open });
      }),
      { numRuns: 25 },
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test("a report that raises a conflict publishes its events in sequence order (a live client resumes by id)", async () => {
  const clock = new ManualClock();
  const core = createCore(new MemoryStore(), settings, clock);
  const heard: number[] = [];
  core.events.subscribe((e) => heard.push(e.seq));
  await core.agentReports.report({ kind: "discovery", mac: MACS[0]! }, [MACS[0]!], { uuid: UUIDS[0] });
  await core.agentReports.report({ kind: "discovery", mac: MACS[1]! }, [MACS[1]!], { uuid: UUIDS[0] });
  assert.ok(heard.length >= 3, "the second report records its machine and the conflict");
  assert.deepEqual(
    heard,
    [...heard].sort((a, b) => a - b),
  );
});

test("two configs created in one millisecond: the machine's state is the same after a restart", async () => {
  const clock = new ManualClock();
  const store = new MemoryStore();
  const core = createCore(store, settings, clock);
  await core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  const [a, b] = await Promise.all([
    core.configs.create({ machine: MACS[2]!, profile: "linux" }),
    core.configs.create({ machine: MACS[2]!, profile: "linux" }),
  ]);
  // The first one stored, armed last: written last, it must not become the newest only for that.
  assert.ok(b);
  await core.configs.arm(a!.id);
  const restarted = createCore(new MemoryStore(store.commits.flat()), settings, clock);
  assert.equal(restarted.configs.stateOf(MACS[2]!), core.configs.stateOf(MACS[2]!));
});

test("an event subscriber that throws fails neither the change that is durable nor the other subscribers", async () => {
  const core = createCore(new MemoryStore(), { ...settings, discovery: false }, new ManualClock());
  core.events.subscribe(() => {
    throw new Error("bad subscriber");
  });
  const heard: string[] = [];
  core.events.subscribe((e) => heard.push(e.kind));
  const warned: string[] = [];
  const onWarning = (w: Error) => warned.push(w.message);
  process.on("warning", onWarning);
  try {
    // The boot request is answered: its change is committed, whatever a listener does with the news.
    assert.equal((await core.boot.machineScript({ mac: MACS[0]! })).kind, "none");
    assert.deepEqual(heard, ["machine.seen"]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(warned.some((w) => w.includes("bad subscriber")));
  } finally {
    process.off("warning", onWarning);
  }
});

test("a merge moving a draft away leaves the machine merged away with the state a restart finds", async () => {
  const clock = new ManualClock();
  const store = new MemoryStore();
  const core = createCore(store, { ...settings, discovery: false }, clock);
  await core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\necho {{ mac }}\n" });
  const [from, to] = [MACS[2]!, MACS[0]!];
  await core.configs.cancel((await core.configs.create({ machine: from, profile: "linux" })).id);
  clock.advance(1000);
  await core.configs.create({ machine: from, profile: "linux" }); // the draft the merge moves
  await core.machines.register(to, {});
  await core.boot.machineScript({ mac: to, serial: SERIALS[0] });
  const r = await core.agentReports.report({ kind: "discovery", mac: from }, [from], { serial: SERIALS[0] });
  assert.equal(r.conflicts.length, 1);
  await core.conflicts.resolve(r.conflicts[0]!, "merge", "test");
  const restarted = createCore(
    new MemoryStore(store.commits.flat()),
    { ...settings, discovery: false },
    clock,
  );
  assert.equal(core.configs.stateOf(from), restarted.configs.stateOf(from));
  assert.equal(core.configs.newestFor(from)?.id, restarted.configs.newestFor(from)?.id);
});
