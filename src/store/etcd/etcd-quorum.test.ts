import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../../domain/errors.js";
import type { StoreHealth, StoreOp } from "../store.js";
import { startEtcdCluster } from "../testing/etcd-peer.js";
import { EtcdStore } from "./etcd-store.js";
import { untilTrue } from "../testing/until.js";

const put = (id: string, value: unknown): StoreOp => ({ op: "put", collection: "c", id, value });
test(
  "etcd store on 3 members: one killed: commits go on (degraded); two killed: a commit sent then is settled honestly (applied and resolved, or rejected and absent everywhere), later ones reject at once; both back: ok by itself, nothing lost",
  { timeout: 90_000 },
  async (t) => {
    const cluster = await startEtcdCluster(3);
    const endpoints = cluster.members.map((m) => m.endpoint);
    const open = () => EtcdStore.open({ endpoints, prefix: "/q", timeoutMs: 1000 });
    const a = await open();
    const b = await open();
    const states: StoreHealth["state"][] = [];
    a.onHealth((h) => states.push(h.state));
    try {
      await a.commit([put("before", 1)]);
      const [m0, m1] = cluster.members;
      assert.ok(m0 && m1);
      // The endpoint a's client talks to goes first: the next call fails over without an error.
      await m0.kill();
      await a.commit([put("one-down", 1)]);
      await untilTrue(() => a.health().state === "degraded", "degraded with a member down", 20_000);
      await untilTrue(() => b.get("c", "one-down") === 1, "b hears it", 20_000);

      await m1.kill();
      const sent = a.commit([put("ambiguous", 1)]);
      const outcome = sent.then(
        () => "applied",
        (e: unknown) =>
          !isEnforcerError(e, "ENF_ERR_STORE_UNAVAILABLE")
            ? `other: ${String(e)}`
            : /may still apply/.test(e.message)
              ? "unknown"
              : "rejected",
      );
      await untilTrue(() => a.health().state === "unavailable", "unavailable without quorum", 20_000);
      await assert.rejects(a.commit([put("refused", 1)]), (e) =>
        isEnforcerError(e, "ENF_ERR_STORE_UNAVAILABLE"),
      );
      assert.equal(a.get("c", "before"), 1, "reads go on from memory");

      await Promise.all([m0.restart(), m1.restart()]);
      await untilTrue(
        () => a.health().state === "ok" && b.health().state === "ok",
        "ok again by itself",
        20_000,
      );
      const result = await outcome;
      t.diagnostic(`the commit sent without quorum: ${result}; health went ${states.join(" > ")}`);
      assert.ok(["applied", "rejected", "unknown"].includes(result), result);
      await a.commit([put("after", 1)]);
      const fresh = await open();
      try {
        await untilTrue(() => b.get("c", "after") === 1, "b hears a after recovery", 20_000);
        // Applied: everywhere. Not applied: nowhere. Reported unknown (never as done): every view agrees.
        const want = { applied: 1, rejected: undefined }[result] ?? fresh.get("c", "ambiguous");
        for (const s of [a, b, fresh])
          assert.equal(s.get("c", "ambiguous"), want, `the ${result} commit agrees`);
        assert.equal(fresh.get("c", "refused"), undefined);
        assert.equal(fresh.get("c", "one-down"), 1, "nothing acknowledged is lost");
      } finally {
        await fresh.close();
      }
      assert.ok(states.includes("unavailable") && states.at(-1) === "ok", states.join(" "));
    } finally {
      await Promise.all([a.close(), b.close()]);
      await cluster.stop();
    }
  },
);
