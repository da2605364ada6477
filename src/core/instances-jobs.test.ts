// The periodic jobs with several instances over one FAKE shared store (two views of one engine, as two
// processes over etcd, 128 ops per commit like etcd's default): expiry run on both at once expires a config
// once; retention run on both at once deletes in commits the store takes and leaves nothing it should keep.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import type { StoreOp } from "../store/store.js";
import { SharedMemoryEngine } from "../store/testing/shared-memory-store.js";
import { ChangeSet } from "./change-set.js";
import { createCore } from "./create-core.js";
import type { CoreSettings } from "./ports.js";
import { CUSTOM_PROFILE, ManualClock } from "./testing/fixtures.js";

const MAC = parseMac("52:54:00:00:15:05");
const DAY = 24 * 3600 * 1000;

async function instances() {
  const engine = new SharedMemoryEngine(128);
  const sizes: number[] = [];
  const accept = engine.accept.bind(engine);
  engine.accept = (ops: StoreOp[], expect: readonly { k: string; rev: number }[]) => {
    sizes.push(ops.length);
    return accept(ops, expect);
  };
  const clock = new ManualClock();
  const settings = (url: string): CoreSettings => ({
    publicUrl: url,
    retryWindowMs: 60_000,
    discovery: false,
    remotes: [],
    limits: { historyDays: 30, historyPerMachine: 5000 },
  });
  const sa = engine.view();
  const sb = engine.view();
  const a = createCore(sa, settings("http://a.test:8080"), clock);
  const b = createCore(sb, settings("http://b.test:8080"), clock);
  // A claim of event seqs that lost to the other pauses on an unref'd timer: keep the loop alive meanwhile.
  const alive = setInterval(() => {}, 20);
  await Promise.all([a.events.ready(), b.events.ready()]).finally(() => clearInterval(alive));
  return { a, b, sa, clock, sizes, close: () => Promise.all([sa.close(), sb.close()]) };
}

async function until(ok: () => boolean, what: string, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("fake shared store: the expiry sweep run on both instances at once expires a config once", async () => {
  const { a, b, clock, close } = await instances();
  try {
    await a.profiles.create({ ...CUSTOM_PROFILE, provisioning: "x\n" });
    await a.machines.ensure(MAC);
    const c = await a.configs.create({ machine: MAC, profile: "linux" });
    await a.configs.arm(c.id);
    assert.equal((await a.boot.machineScript({ mac: MAC })).kind, "config");
    await until(() => b.configs.get(c.id).lifecycle.state === "triggered", "the trigger on B");
    clock.advance(61_000);
    const [na, nb] = await Promise.all([a.configs.expireDue(), b.configs.expireDue()]);
    assert.equal(na + nb, 1, `expired by ${na + nb} instances`);
    await until(() => a.configs.get(c.id).lifecycle.state === "expired", "expired on A");
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(a.events.forMachine(MAC).filter((e) => e.kind === "config.expired").length, 1);
  } finally {
    await close();
  }
});

test("fake shared store: retention run on both instances at once deletes in commits of at most 128 ops", async () => {
  const { a, b, sa, clock, sizes, close } = await instances();
  try {
    await a.machines.ensure(MAC);
    // 600 events, recorded 100 to a commit (the store takes 128): a month and a day later all are past age.
    for (let i = 0; i < 6; i++) {
      const cs = new ChangeSet(sa, a.events);
      for (let j = 0; j < 100; j++) cs.event("machine.updated", MAC, clock.now().toISOString());
      await cs.commit();
    }
    await until(() => b.events.count() >= 601, "the events on B");
    clock.advance(31 * DAY);
    sizes.length = 0;
    const [ra, rb] = await Promise.all([a.retention.sweep(), b.retention.sweep()]);
    assert.ok(ra.events + rb.events >= 601, `deleted ${ra.events} + ${rb.events}`);
    assert.ok(sizes.length > 0 && Math.max(...sizes) <= 128, `commit sizes ${sizes.join(",")}`);
    await until(() => a.events.count() === 0 && b.events.count() === 0, "no events left on either");
    assert.ok(a.machines.find(MAC), "the registered machine stays");
  } finally {
    await close();
  }
});

test("fake shared store: an unknown machine an operator names through B while A's retention ages it out is kept", async () => {
  const { a, b, clock, close } = await instances();
  try {
    const mac = parseMac("52:54:00:00:15:06");
    await a.boot.machineScript({ mac }); // seen by an anonymous boot only: unknown
    await until(() => b.unknown.isUnknown(mac) && a.unknown.isUnknown(mac), "unknown on both");
    clock.advance(31 * DAY);
    // B's edit reaches the engine first; A's retention read the machine as it was before it.
    await Promise.all([b.machines.update(mac, { hostname: "keep-me" }), a.retention.sweep()]);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(a.machines.find(mac)?.hostname, "keep-me", "A did not drop the machine B named");
    assert.equal(b.machines.find(mac)?.hostname, "keep-me");
  } finally {
    await close();
  }
});
