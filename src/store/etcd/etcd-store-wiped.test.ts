import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, test } from "node:test";
import { isEnforcerError } from "../../domain/errors.js";
import type { StoreOp } from "../store.js";
import { startEtcd, type EtcdPeer } from "../testing/etcd-peer.js";
import { EtcdStore } from "./etcd-store.js";
import { untilTrue } from "../testing/until.js";

// etcd started again on an empty data directory (a wiped disk, or a cluster rebuilt and filled by
// `enforcer store copy`): its revisions start again from 1, below what the running stores applied.
let etcd: EtcdPeer;
before(async () => {
  etcd = await startEtcd();
});
after(() => etcd?.stop());

const put = (id: string, value: unknown): StoreOp => ({ op: "put", collection: "c", id, value });
/** Commits, again while etcd is unavailable, for at most `ms`. */
const commitWhenUp = async (s: EtcdStore, ops: StoreOp[], ms = 15_000) => {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await s.commit(ops);
    } catch (err) {
      if (!isEnforcerError(err, "ENF_ERR_STORE_UNAVAILABLE") || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
};

test(
  "etcd store: etcd restarted on a wiped data dir (revisions from 1 again): the running stores follow the new data instead of waiting for revisions they already passed",
  { timeout: 90_000 },
  async () => {
    const prefix = "/wiped";
    const endpoints = [etcd.endpoints];
    const [a, b] = [await EtcdStore.open({ endpoints, prefix }), await EtcdStore.open({ endpoints, prefix })];
    try {
      // Enough revisions that the new etcd's stay below them for the whole test.
      for (let i = 0; i < 30; i++) await a.commit([put("k", i), put(`old${i}`, i)]);
      await untilTrue(() => b.get("c", "k") === 29, "b follows a", 5000);
      const member = etcd.members[0];
      assert.ok(member);
      await member.kill();
      rmSync(member.dataDir, { recursive: true, force: true });
      await member.restart();
      await commitWhenUp(b, [put("k", "new")]);
      await untilTrue(() => a.get("c", "k") === "new", "a hears b's commit on the new etcd", 10_000);
      await untilTrue(() => b.get("c", "k") === "new", "b applies its own commit", 10_000);
      for (const s of [a, b])
        assert.equal(s.get("c", "old3"), undefined, "what the new etcd does not hold is gone");
      // Compare-and-swap works again on what was read from the new etcd.
      await a.commit([put("k", "swapped")], [{ collection: "c", id: "k", value: a.get("c", "k") }]);
      await untilTrue(() => b.get("c", "k") === "swapped", "b follows a's swap", 5000);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);
