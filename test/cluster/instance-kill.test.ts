// SIGKILL of one of three Enforcer instances (shared etcd) in the middle of a boot storm: the two others go on
// answering, each armed config has one trigger and no script served unwritten, and every write acknowledged
// before the kill is still there.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  armThrough,
  configEventKinds,
  count,
  createProfile,
  machineScriptUrl,
  seenEverywhere,
} from "../support/cluster-steps.js";
import { startEnforcerCluster, type EnforcerCluster } from "../support/enforcer-cluster.js";
import { startEtcdCluster, type EtcdCluster } from "../support/etcd-cluster.js";

const ARMED = 45;
const IDLE = 75;
const armedMac = (i: number) => `52:54:00:c2:00:${i.toString(16).padStart(2, "0")}`;
const idleMac = (i: number) => `52:54:00:c2:01:${i.toString(16).padStart(2, "0")}`;
const writeMac = (i: number) =>
  `52:54:00:c2:${(2 + (i >> 8)).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  instance: number;
  status: number | "error";
  at: number;
}

describe("SIGKILL of an Enforcer instance in a boot storm", { timeout: 180_000 }, () => {
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

  test("the other two go on answering, one trigger per config, no unwritten script served, every acknowledged write kept", async (t) => {
    const all = cluster.instances;
    const victim = 2;
    await createProfile(all[0]!, "storm");
    const ids: string[] = [];
    for (let i = 0; i < ARMED; i++) ids.push(await armThrough(all[i % 3]!, armedMac(i), "storm"));
    await seenEverywhere(all, ids.at(-1)!, "armed");

    let killedAt = Infinity;
    let stopping = false;
    const answers = new Map<string, Answer[]>();
    // A machine asks instances in turn, as the general script's chain falls from one to the next; it stops
    // once it got its config. Every machine starts on a different instance; the armed ones power on one every
    // 70 ms over 3 s, so their triggers fall before, around and after the kill.
    const machine = async (mac: string, start: number, delayMs = 0) => {
      const mine: Answer[] = [];
      answers.set(mac, mine);
      await sleep(delayMs);
      for (let n = start; !stopping; n++) {
        const instance = n % 3;
        let status: Answer["status"];
        try {
          const r = await fetch(machineScriptUrl(all[instance]!, mac), { signal: AbortSignal.timeout(5000) });
          await r.arrayBuffer();
          status = r.status;
        } catch {
          status = "error";
        }
        mine.push({ instance, status, at: performance.now() });
        if (status === 200) return;
        await sleep(20 + Math.random() * 30);
      }
    };
    // The operator's writes go on meanwhile, through every instance: each 201 is an acknowledged write.
    const acked: { mac: string; instance: number; at: number }[] = [];
    const refused: string[] = [];
    const writer = async (instance: number) => {
      for (let n = 0; n < 200 && !stopping; n++) {
        const mac = writeMac(instance * 200 + n);
        const r = await all[instance]!.api("POST", "/machines", { mac }).catch(() => undefined);
        if (r?.status === 201) acked.push({ mac, instance, at: performance.now() });
        else if (instance !== victim || performance.now() < killedAt)
          refused.push(`${mac} through instance ${instance}: ${r?.status ?? "no answer"}`);
        await sleep(10);
      }
    };
    const storm = [
      ...Array.from({ length: ARMED }, (_, i) => machine(armedMac(i), i, i * 70)),
      ...Array.from({ length: IDLE }, (_, i) => machine(idleMac(i), i)),
      ...[0, 1, 2].map(writer),
    ];
    try {
      await sleep(1500);
      killedAt = performance.now();
      await cluster.kill(victim);
      await sleep(4000);
    } finally {
      // Also when a writer failed: the loops must end or the file would never finish.
      stopping = true;
    }
    await Promise.all(storm);

    assert.deepEqual(refused, [], "every write through a live instance is acknowledged");
    const flat = [...answers.values()].flat();
    const afterKill = flat.filter((a) => a.instance !== victim && a.at > killedAt);
    assert.ok(afterKill.length > 100, `the storm went on after the kill (${afterKill.length} answers)`);
    const bad = afterKill.filter((a) => a.status !== 200 && a.status !== 404);
    assert.deepEqual(bad, [], "the two others answer every request after the kill (script or fall-through)");
    const survivors = all.filter((_, i) => i !== victim);
    // Each config: one trigger in the survivors' histories, and no script served that was not written: its
    // fetch count is what was served, plus at most the answers the victim could not send any more.
    let unserved = 0;
    for (let i = 0; i < ARMED; i++) {
      const mine = answers.get(armedMac(i))!;
      const served = mine.filter((a) => a.status === 200).length;
      const lost = mine.filter((a) => a.instance === victim && a.status === "error").length;
      if (served === 0) unserved++;
      for (const e of survivors) {
        const c = await e.api<{ lifecycle: { state: string; fetches?: number } }>(
          "GET",
          `/configs/${ids[i]}`,
        );
        if (served === 0 && c.body.lifecycle.state === "armed") continue;
        assert.equal(c.body.lifecycle.state, "triggered", `${armedMac(i)}`);
        const fetches = c.body.lifecycle.fetches!;
        assert.ok(
          fetches >= served && fetches <= served + lost,
          `${armedMac(i)}: ${fetches} fetches, ${served} served`,
        );
        assert.equal(count(await configEventKinds(e, armedMac(i), ids[i]!), "config.triggered"), 1);
      }
    }
    // A config is left unserved only when the victim triggered it and died before answering.
    const lostAnswers = flat.filter((a) => a.instance === victim && a.status === "error").length;
    assert.ok(unserved <= lostAnswers, `${unserved} configs never served`);
    const servedAfterKill = flat.filter((a) => a.status === 200 && a.at > killedAt).length;
    t.diagnostic(
      `${servedAfterKill} of ${ARMED} configs served after the kill; ${flat.length} boot answers, ${afterKill.length} from the survivors after the kill; ${acked.length} writes acknowledged (${acked.filter((w) => w.instance === victim).length} by the victim); ${lostAnswers} requests lost with the victim, ${unserved} configs unserved`,
    );
    assert.ok(
      acked.some((w) => w.instance === victim),
      "the victim acknowledged writes before it died",
    );
    // Every write acknowledged (by any instance, the victim included) is on both survivors.
    for (const e of survivors)
      for (const w of acked) {
        const r = await e.api("GET", `/machines/${w.mac}`);
        assert.equal(r.status, 200, `${w.mac} (acknowledged by instance ${w.instance}) is kept`);
      }
  });
});
