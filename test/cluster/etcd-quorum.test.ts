// Three Enforcer instances on a three-member etcd while members die: with one member gone (the leader) writes
// and triggers go on after a bounded retry; with two gone (no quorum) the boot routes answer from memory, an
// armed config is not served, writes answer 503; with both back everything recovers by itself, nothing lost
// and nothing served twice.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  armThrough,
  assertServedAsWritten,
  createProfile,
  machineScriptUrl,
  seenEverywhere,
} from "../support/cluster-steps.js";
import type { EnforcerProcess } from "../support/enforcer-process.js";
import { startEnforcerCluster, type EnforcerCluster } from "../support/enforcer-cluster.js";
import { startEtcdCluster, type EtcdCluster } from "../support/etcd-cluster.js";
import { until } from "../support/until.js";

const armedMac = (i: number) => `52:54:00:c3:00:${i.toString(16).padStart(2, "0")}`;
// Writes name new machines: up to 2048 per instance in step 1, then 0x3000… for the probes.
const writeMac = (i: number) =>
  `52:54:00:c3:${(0x10 + (i >> 8)).toString(16)}:${(i & 255).toString(16).padStart(2, "0")}`;
const LATE = armedMac(0xff);
/** The longest a write may take while one member is gone: an election plus the store's settle and resend
 * of a txn whose answer was lost (about 8 s measured here), with room for a loaded CI machine. */
const ONE_DOWN_WRITE_BOUND_MS = 15_000;

/** Fetches the machine script for `mac` `n` times spread over the instances, all at once; answers the statuses. */
async function storm(all: readonly EnforcerProcess[], mac: string, n: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const r = await fetch(machineScriptUrl(all[i % all.length]!, mac), {
        signal: AbortSignal.timeout(5000),
      });
      await r.arrayBuffer();
      return r.status;
    }),
  );
}

/** A write through `e` (a new machine) with its time, never throwing. */
async function write(
  e: EnforcerProcess,
  mac: string,
): Promise<{ status: number; ms: number; code?: string }> {
  const t = performance.now();
  // A write in flight when quorum goes waits while the store settles it (then a 503): give up after 15 s.
  const r = await fetch(`${e.base}/api/v1/machines`, {
    method: "POST",
    headers: { authorization: `Bearer ${e.token}`, "content-type": "application/json" },
    body: JSON.stringify({ mac }),
    signal: AbortSignal.timeout(15_000),
  })
    .then(async (res) => ({ status: res.status, body: (await res.json()) as { code?: string } }))
    .catch(() => ({ status: 0, body: undefined }));
  return { status: r.status, ms: Math.round(performance.now() - t), code: r.body?.code };
}

describe("etcd members die and come back under 3 Enforcer instances", { timeout: 240_000 }, () => {
  let etcd: EtcdCluster;
  let cluster: EnforcerCluster;

  before(async () => {
    etcd = await startEtcdCluster(3);
    cluster = await startEnforcerCluster(etcd.storeUrl, 3, { extraArgs: ["--boot-rate-limit", "0"] });
  });
  after(async () => {
    await cluster?.stop();
    await etcd?.stop();
  });

  test("one down: bounded retry; two down: degraded, nothing served; both back: recovery, nothing lost, one trigger each", async (t) => {
    const all = cluster.instances;
    await createProfile(all[0]!, "quorum");
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await armThrough(all[i % 3]!, armedMac(i), "quorum"));
    const late = await armThrough(all[1]!, LATE, "quorum");
    await seenEverywhere(all, late, "armed");
    const acked: string[] = [];

    // 1. The leader dies: quorum is kept. Writes through every instance go on for 5 s across the election.
    const first = await etcd.leader();
    const second = (first + 1) % 3;
    await etcd.members[first]!.kill();
    const writes: { status: number; ms: number }[] = [];
    const end = performance.now() + 5000;
    // Meanwhile three machines boot their armed configs, each fetching in turn from the instances every
    // 200 ms until it gets its script, as iPXE's chain does: how long each waited is the trigger's retry.
    const served = [0, 0, 0, 0];
    const waited: number[] = [];
    const boot = async (i: number) => {
      const t = performance.now();
      for (let n = i; performance.now() - t < 20_000; n++) {
        const r = await fetch(machineScriptUrl(all[n % 3]!, armedMac(i)), {
          signal: AbortSignal.timeout(10_000),
        });
        await r.arrayBuffer();
        if (r.status === 200) {
          served[i]!++;
          waited.push(Math.round(performance.now() - t));
          return;
        }
        await new Promise((res) => setTimeout(res, 200));
      }
    };
    await Promise.all([
      ...all.map(async (e, k) => {
        // 5 s, and at least 5 writes acknowledged after the slow first one (the election's).
        for (let n = 0; performance.now() < end || n < 6; n++) {
          const mac = writeMac(k * 2048 + n);
          const w = await write(e, mac);
          writes.push(w);
          if (w.status === 201) acked.push(mac);
        }
      }),
      ...[0, 1, 2].map(boot),
    ]);
    const longest = Math.max(...writes.map((w) => w.ms));
    t.diagnostic(
      `one member down: ${writes.length} writes, longest ${longest} ms; configs served after ${waited.join(", ")} ms`,
    );
    assert.deepEqual(
      writes.filter((w) => w.status !== 201),
      [],
      "every write with one member down is acknowledged",
    );
    assert.ok(longest < ONE_DOWN_WRITE_BOUND_MS, `longest write ${longest} ms`);
    assert.deepEqual(served.slice(0, 3), [1, 1, 1], "each machine got its config with one member down");
    // Then 30 fetches at once of one of them: retries, each written.
    served[0]! += (await storm(all, armedMac(0), 30)).filter((x) => x === 200).length;
    for (let i = 0; i < 3; i++) await assertServedAsWritten(all, armedMac(i), ids[i]!, served[i]!);

    // 2. A second member dies: no quorum. Every instance notices and refuses writes with the coded 503.
    await etcd.members[second]!.kill();
    for (const [k, e] of all.entries())
      await until(
        `instance ${k} to refuse writes with 503`,
        async () => ((await write(e, writeMac(0x3000))).status === 503 ? true : undefined),
        30_000,
        250,
      );
    for (const e of all) {
      const w = await write(e, writeMac(0x3001));
      assert.equal(w.status, 503);
      assert.equal(w.code, "ENF_ERR_STORE_UNAVAILABLE");
      const metrics = await fetch(`${e.base}/metrics`, {
        headers: { authorization: `Bearer ${cluster.token}` },
      });
      assert.match(
        await metrics.text(),
        /^enforcer_store\w*\{[^}]*unavailable[^}]*\} 1$/m,
        "/metrics shows it",
      );
    }
    // The boot routes answer from memory: the general script, fall-through for a machine with nothing armed,
    // and fall-through for an armed config whose trigger cannot be written.
    const t0 = performance.now();
    for (const e of all) {
      assert.equal((await fetch(`${e.base}/boot.ipxe`)).status, 200);
      assert.equal((await fetch(machineScriptUrl(e, armedMac(0)))).status, 404);
    }
    const degraded = await storm(all, armedMac(3), 30);
    assert.deepEqual([...new Set(degraded)], [404], "an armed config is not served without quorum");
    t.diagnostic(`no quorum: boot answers in ${Math.round(performance.now() - t0)} ms for 36 requests`);
    // (a retry of a triggered config cannot be written either: armedMac(0) above fell through)
    for (const e of all)
      assert.equal((await e.api<{ state: string }>("GET", `/configs/${ids[3]}`)).body.state, "armed");

    // 3. Both members back: writes work again by themselves.
    const t1 = performance.now();
    await Promise.all([etcd.members[first]!.restart(), etcd.members[second]!.restart()]);
    for (const [k, e] of all.entries())
      await until(
        `instance ${k} to accept writes again`,
        async () => {
          const mac = writeMac(0x3100 + k);
          if ((await write(e, mac)).status !== 201) return undefined;
          acked.push(mac);
          return true;
        },
        30_000,
        250,
      );
    t.diagnostic(
      `quorum back: writes accepted on all 3 instances ${Math.round(performance.now() - t1)} ms after the restarts`,
    );
    for (const e of all) {
      const metrics = await fetch(`${e.base}/metrics`, {
        headers: { authorization: `Bearer ${cluster.token}` },
      });
      assert.doesNotMatch(await metrics.text(), /^enforcer_store\w*\{[^}]*unavailable[^}]*\} 1$/m);
    }
    // The config refused while degraded is served now, triggered once; the ones served before were not
    // served while degraded (their counts are what was served before) and nothing of theirs is lost.
    served[3] = (await storm(all, armedMac(3), 60)).filter((x) => x === 200).length;
    assert.ok(served[3] >= 1, "served after recovery");
    for (let i = 0; i < 4; i++) await assertServedAsWritten(all, armedMac(i), ids[i]!, served[i]!);
    // Nothing acknowledged is lost, on any instance.
    for (const e of all)
      for (const mac of acked)
        assert.equal((await e.api("GET", `/machines/${mac}`)).status, 200, `${mac} kept`);
  });
});
