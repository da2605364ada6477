// Three Enforcer instances on a three-member etcd on loopback: an armed config is triggered once across all
// of them (every script served is a written trigger or retry), and what one instance commits reaches the
// others' live event streams.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  armThrough,
  assertServedAsWritten,
  createProfile,
  machineScriptUrl,
  seenEverywhere,
} from "../support/cluster-steps.js";
import { startEnforcerCluster, type EnforcerCluster } from "../support/enforcer-cluster.js";
import { startEtcdCluster, type EtcdCluster } from "../support/etcd-cluster.js";
import { until } from "../support/until.js";

const mac = (i: number) => `52:54:00:c1:00:${i.toString(16).padStart(2, "0")}`;
// The 200 fetches come from one address: lift the per-address boot rate limit.
const ARGS = ["--boot-rate-limit", "0"];

describe("3 etcd members, 3 Enforcer instances", { timeout: 180_000 }, () => {
  let etcd: EtcdCluster;
  let cluster: EnforcerCluster;

  before(async () => {
    etcd = await startEtcdCluster(3);
    cluster = await startEnforcerCluster(etcd.storeUrl, 3, { extraArgs: ARGS });
    await createProfile(cluster.instances[0]!, "once");
  });
  after(async () => {
    await cluster?.stop();
    await etcd?.stop();
  });

  test("200 concurrent fetches of one armed config over the 3 instances: one config.triggered, every script served written; 5 rounds", async (t) => {
    const all = cluster.instances;
    for (let round = 0; round < 5; round++) {
      const m = mac(round);
      const id = await armThrough(all[round % 3]!, m, "once");
      // Each instance knows the config is armed before the storm: a fall-through for not having heard of
      // it yet would prove nothing.
      await seenEverywhere(all, id, "armed");
      const answers = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const r = await fetch(machineScriptUrl(all[i % 3]!, m));
          return { status: r.status, body: await r.text(), instance: i % 3 };
        }),
      );
      const served = answers.filter((a) => a.status === 200);
      assert.ok(served.length >= 1, `round ${round}: the config is served`);
      assert.match(served[0]!.body, /mirror\.invalid\/vmlinuz/, "what is served is the config's script");
      const others = answers.filter((a) => a.status !== 200);
      assert.ok(
        others.every((a) => a.status === 404),
        `round ${round}: the others fall through (404), got ${[...new Set(others.map((a) => a.status))].join(",")}`,
      );
      // One trigger; each further script served is a written retry inside the retry window.
      await assertServedAsWritten(all, m, id, served.length);
      t.diagnostic(
        `round ${round}: 200 fetches, ${served.length} served (1 trigger + retries) by instances ${[...new Set(served.map((a) => a.instance))].join(",")}`,
      );
    }
  });

  test("an event committed on A reaches B's live event stream", async () => {
    const [a, b] = cluster.instances;
    const m = mac(0x40);
    const ac = new AbortController();
    const stream = await fetch(`${b!.base}/api/v1/events?machine=${m}`, {
      headers: { authorization: `Bearer ${cluster.token}` },
      signal: ac.signal,
    });
    assert.equal(stream.status, 200);
    const frames: { kind: string; config?: string; seq: number }[] = [];
    const reading = (async () => {
      const dec = new TextDecoder();
      let buf = "";
      for await (const chunk of stream.body!) {
        buf += dec.decode(chunk as Uint8Array, { stream: true });
        for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
          const data = /^data: (.*)$/m.exec(buf.slice(0, i));
          if (data) frames.push(JSON.parse(data[1]!));
          buf = buf.slice(i + 2);
        }
      }
    })().catch(() => undefined);
    try {
      const id = await armThrough(a!, m, "once");
      const armed = await until(
        "config.armed on B's live stream",
        async () => frames.find((f) => f.kind === "config.armed" && f.config === id),
        10_000,
        50,
      );
      // The same event: A's history holds it under the same number.
      const onA = await a!.api<{ items: { kind: string; config?: string; seq: number }[] }>(
        "GET",
        `/machines/${m}/events`,
      );
      const original = onA.body.items.find((x) => x.kind === "config.armed" && x.config === id);
      assert.equal(armed.seq, original?.seq, "B streams A's event with A's sequence number");
    } finally {
      ac.abort();
      await reading;
    }
  });
});
