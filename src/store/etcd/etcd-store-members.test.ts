import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { isEnforcerError } from "../../domain/errors.js";
import type { StoreOp } from "../store.js";
import { startEtcdCluster, type EtcdPeer } from "../testing/etcd-peer.js";
import { EtcdStore } from "./etcd-store.js";
import { untilTrue } from "../testing/until.js";

// A 3-member cluster: what one misbehaving member (not a lost quorum) does to a store attached to it.
let etcd: EtcdPeer;
before(async () => {
  etcd = await startEtcdCluster(3);
  // Members listen before they have elected a leader: wait until the cluster takes a store.
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await (await EtcdStore.open({ endpoints: etcd.endpoints.split(","), prefix: "/ready" })).close();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
});
after(async () => {
  for (const m of etcd?.members ?? []) {
    const pid = m.pid();
    if (pid) process.kill(pid, "SIGCONT");
  }
  await etcd?.stop();
});

let n = 0;
const put = (id: string, value: unknown): StoreOp => ({ op: "put", collection: "c", id, value });
/**
 * Commits, again while it ends ENF_ERR_STORE_UNAVAILABLE, for at most 15 s: a stopped leader means an
 * election first, and a txn meanwhile can end so (a bounded wait, as a client retrying would see).
 */
async function commitRetrying(s: EtcdStore, ops: StoreOp[]): Promise<void> {
  const t = Date.now();
  const failures: string[] = [];
  for (;;) {
    try {
      return await s.commit(ops);
    } catch (err) {
      assert.ok(isEnforcerError(err, "ENF_ERR_STORE_UNAVAILABLE"), String(err));
      failures.push(`${Date.now() - t} ms: ${(err as Error).message}`);
      assert.ok(Date.now() - t < 15_000, failures.join("\n"));
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

test(
  "etcd store: the member under a store's watch SIGSTOPped (quorum kept): it still hears another process's commits and its own commits resolve",
  { timeout: 90_000 },
  async () => {
    const prefix = `/stopped-${++n}`;
    const eps = etcd.members.map((m) => m.endpoint);
    const warnings: string[] = [];
    const a = await EtcdStore.open({ endpoints: eps, prefix, timeoutMs: 500, warn: (w) => warnings.push(w) });
    // The member a's calls and watch went to; b starts on another.
    const under = etcd.members.find((m) => a.client.endpoint === m.clientUrl);
    const stopped = under?.pid();
    assert.ok(under && stopped, a.client.endpoint);
    const b = await EtcdStore.open({
      endpoints: eps.filter((e) => e !== under.endpoint),
      prefix,
      timeoutMs: 500,
    });
    try {
      await a.commit([put("k", 1)]);
      await untilTrue(() => b.get("c", "k") === 1, "b follows a", 5000);
      process.kill(stopped, "SIGSTOP");
      await commitRetrying(b, [put("fromB", 1)]);
      await untilTrue(() => a.get("c", "fromB") === 1, "a hears b's commit while m0 is stopped", 8000);
      const t = Date.now();
      await commitRetrying(a, [put("k", 2)]);
      console.log(`a's commit resolved ${Date.now() - t} ms after b's`);
      await untilTrue(() => b.get("c", "k") === 2, "b hears a's commit", 5000);
      assert.ok(
        warnings.some((w) => /reopening/.test(w)),
        warnings.join("\n"),
      );
    } finally {
      process.kill(stopped, "SIGCONT");
      await Promise.all([a.close(), b.close()]);
    }
  },
);

test(
  "etcd store: a commit sent to a SIGSTOPped member and reported not applied never applies when the member wakes (an acknowledged later write is kept)",
  { timeout: 90_000 },
  async () => {
    const prefix = `/late-${++n}`;
    const eps = etcd.members.map((m) => m.endpoint);
    for (let round = 0; round < 2; round++) {
      const a = await EtcdStore.open({ endpoints: eps, prefix, timeoutMs: 500 });
      const under = etcd.members.find((m) => a.client.endpoint === m.clientUrl);
      const stopped = under?.pid();
      assert.ok(under && stopped, a.client.endpoint);
      const b = await EtcdStore.open({ endpoints: eps.filter((e) => e !== under.endpoint), prefix });
      try {
        process.kill(stopped, "SIGSTOP");
        // a's txn reaches the stopped member, which holds it: its outcome is unknown until settled. It is
        // either applied (resolves: the member had passed it on) or not (rejects, and must never apply later).
        await a.commit([put("k", `late ${round}`)]).catch((e: unknown) => {
          assert.ok(isEnforcerError(e, "ENF_ERR_STORE_UNAVAILABLE"), String(e));
        });
        await commitRetrying(b, [put("k", `after ${round}`)]);
        process.kill(stopped, "SIGCONT");
        // The woken member proposes what it held (it did so within ~1 s, unfenced, on this machine).
        await new Promise((r) => setTimeout(r, 2000));
        const c = await EtcdStore.open({ endpoints: [under.endpoint], prefix });
        try {
          assert.equal(c.get("c", "k"), `after ${round}`, "b's acknowledged write is what etcd holds");
        } finally {
          await c.close();
        }
        await untilTrue(() => a.get("c", "k") === `after ${round}`, "a follows", 5000);
      } finally {
        process.kill(stopped, "SIGCONT");
        await Promise.all([a.close(), b.close()]);
      }
    }
  },
);
