import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { isEnforcerError } from "../../domain/errors.js";
import type { StoreOp } from "../store.js";
import { startEtcd, type EtcdPeer } from "../testing/etcd-peer.js";
import { EtcdStore } from "./etcd-store.js";
import { untilTrue } from "../testing/until.js";

let etcd: EtcdPeer;
before(async () => {
  etcd = await startEtcd();
});
after(() => etcd?.stop());

let n = 0;
const open = (prefix: string, more: Partial<Parameters<typeof EtcdStore.open>[0]> = {}) =>
  EtcdStore.open({ endpoints: [etcd.endpoints], prefix, ...more });
const put = (id: string, value: unknown): StoreOp => ({ op: "put", collection: "c", id, value });
test(
  "etcd store: two stores on one etcd, 200 concurrent compare-and-swap commits on one value from both: exactly one wins",
  { timeout: 90_000 },
  async () => {
    const prefix = `/cas-${++n}`;
    const [a, b] = [await open(prefix), await open(prefix)];
    try {
      for (let round = 0; round < 3; round++) {
        await a.commit([put("k", { round, armed: true })]);
        await untilTrue(() => (b.get<{ round: number }>("c", "k")?.round ?? -1) === round, "b follows a");
        const seenA = a.get("c", "k");
        const seenB = b.get("c", "k");
        const results = await Promise.allSettled(
          Array.from({ length: 200 }, (_, i) => {
            const [s, seen] = i % 2 === 0 ? [a, seenA] : [b, seenB];
            return s.commit(
              [put("k", { round, armed: false, by: i })],
              [{ collection: "c", id: "k", value: seen }],
            );
          }),
        );
        const won = results.filter((r) => r.status === "fulfilled");
        assert.equal(won.length, 1, `round ${round}: exactly one trigger`);
        for (const r of results)
          if (r.status === "rejected")
            assert.ok(isEnforcerError(r.reason, "ENF_ERR_STORE_CONFLICT"), String(r.reason));
        await untilTrue(
          () => JSON.stringify(a.get("c", "k")) === JSON.stringify(b.get("c", "k")),
          "both agree",
        );
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

test(
  "etcd store: a watch that must resume from a compacted revision reloads, feeding the differences",
  { timeout: 90_000 },
  async () => {
    const prefix = `/compact-${++n}`;
    const [a, b] = [await open(prefix), await open(prefix)];
    try {
      await a.commit([put("stays", 1), put("changes", 1), put("goes", 1)]);
      await untilTrue(() => b.count("c") === 3, "b has all three", 10_000);
      // b stops hearing (as if its connection were down), a writes, and etcd forgets the history up to and
      // including a's commit: compacted at exactly a revision, etcd no longer has that revision's deletes.
      const internals = b as unknown as {
        cancelWatch: () => void;
        appliedRev: number;
        follow(rev: number): void;
      };
      internals.cancelWatch();
      const from = internals.appliedRev;
      await a.commit([put("changes", 2), { op: "del", collection: "c", id: "goes" }, put("new", 1)]);
      const rev = (await a.client.range("/")).revision;
      execFileSync("etcdctl", ["--endpoints", etcd.endpoints, "compaction", String(rev)]);
      const heard: StoreOp[] = [];
      b.onApplied((ops) => heard.push(...ops));
      internals.follow(from);
      await untilTrue(() => b.get("c", "new") !== undefined, "b reloaded");
      assert.equal(b.get("c", "changes"), 2);
      assert.equal(b.get("c", "goes"), undefined);
      assert.equal(b.get("c", "stays"), 1);
      assert.deepEqual(
        heard.map((o) => `${o.op} ${o.id}`).sort(),
        ["del goes", "put changes", "put new"],
        "only the differences are fed",
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

test(
  "etcd store: etcd stopped: commits reject with ENF_ERR_STORE_UNAVAILABLE, reads go on; restarted: back to ok by itself, peers heard again",
  { timeout: 90_000 },
  async () => {
    const prefix = `/down-${++n}`;
    const [a, b] = [await open(prefix, { timeoutMs: 500 }), await open(prefix, { timeoutMs: 500 })];
    const states: string[] = [];
    a.onHealth((h) => states.push(h.state));
    try {
      await a.commit([put("k", 1)]);
      await untilTrue(() => b.get("c", "k") === 1, "b follows");
      const member = etcd.members[0];
      assert.ok(member);
      await member.kill();
      await assert.rejects(a.commit([put("k", 2)]), (e) => isEnforcerError(e, "ENF_ERR_STORE_UNAVAILABLE"));
      assert.equal(a.health().state, "unavailable");
      await assert.rejects(a.commit([put("k", 3)]), (e) => isEnforcerError(e, "ENF_ERR_STORE_UNAVAILABLE"));
      assert.equal(a.get("c", "k"), 1, "reads serve memory");
      await member.restart();
      await untilTrue(() => a.health().state === "ok", "a back to ok", 15_000);
      await untilTrue(() => b.health().state === "ok", "b back to ok", 15_000);
      await a.commit([put("k", 4)]);
      await untilTrue(() => b.get("c", "k") === 4, "b hears a again after the restart", 15_000);
      assert.ok(states.includes("unavailable"), states.join(" "));
      assert.equal(states.at(-1), "ok");
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  },
);

test(
  "etcd store: a commit over maxOpsPerCommit is refused before it is sent",
  { timeout: 90_000 },
  async () => {
    const a = await open(`/big-${++n}`, { maxTxnOps: 8 });
    try {
      assert.equal(a.maxOpsPerCommit, 7, "one op of each txn is the commit marker");
      await assert.rejects(a.commit(Array.from({ length: 8 }, (_, i) => put(`k${i}`, i))), (e) =>
        isEnforcerError(e, "ENF_ERR_STORE_TOO_LARGE"),
      );
      assert.equal(a.count("c"), 0);
    } finally {
      await a.close();
    }
  },
);

test(
  "etcd store: values another tool wrote under the prefix that no service could read are left out with a warning, at open and as they come; a commit expecting them absent replaces them",
  { timeout: 90_000 },
  async () => {
    const prefix = `/foreign-${++n}`;
    const warnings: string[] = [];
    const a = await open(prefix);
    try {
      const raw = (key: string, value: string) =>
        a.client.txn([], [{ put: { key: `${prefix}/${key}`, value } }]);
      await raw("machines/m1", JSON.stringify({ id: "m1", macs: ["m1"] }));
      await raw("machines/m2", "null");
      await raw("configs/c1", "{}");
      await raw("events/000000000001", "[]");
      await raw("retention/events", '"abc"');
      await raw("profiles/p", "{{{");
      const b = await open(prefix, { warn: (w) => warnings.push(w) });
      try {
        assert.deepEqual([...b.all("machines")], [{ id: "m1", macs: ["m1"] }]);
        for (const c of ["configs", "events", "retention", "profiles"]) assert.equal(b.count(c), 0, c);
        assert.equal(warnings.length, 5, warnings.join("\n"));
        // As they come: a good value replaced by a bad one is gone, not kept stale.
        await raw("machines/m1", JSON.stringify({ id: "other", macs: ["m1"] }));
        await untilTrue(() => b.count("machines") === 0, "m1 left out", 10_000);
        assert.match(warnings.at(-1) ?? "", /machines\/m1 .*its id is not its key/);
        // What the services see as absent can be written with expect absent (the seq mark, a first token).
        await b.commit(
          [{ op: "put", collection: "retention", id: "events", value: { lastSeq: 1 } }],
          [{ collection: "retention", id: "events", value: undefined }],
        );
        assert.deepEqual(b.get("retention", "events"), { lastSeq: 1 });
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  },
);
