import assert from "node:assert/strict";
import { isEnforcerError } from "../../domain/errors.js";
import type { Store, StoreOp } from "../store.js";
import type { ContractSubject } from "./store-contract.js";

/** One case of the contract suite: a title and a test over a freshly opened subject. */
export type ContractCase = (title: string, fn: (s: ContractSubject) => Promise<void>) => void;

const C = "things";
const put = (id: string, value: unknown, collection = C): StoreOp => ({ op: "put", collection, id, value });
const conflict = (e: unknown) => isEnforcerError(e, "ENF_ERR_STORE_CONFLICT");

/** Every op the store's feed has told about, one array per commit. */
function listen(store: Store): StoreOp[][] {
  const heard: StoreOp[][] = [];
  store.onApplied((ops) => heard.push([...ops]));
  return heard;
}

/**
 * The port's issue-15 cases: `expect` (compare-and-swap on the value read), `maxOpsPerCommit`, `health`, and
 * with a `peer` two processes' views of one shared store. They hold for immediate and shared stores alike.
 */
export function expectCases(t: ContractCase, applies: "immediate" | "shared"): void {
  t("shared says which kind of store this is; health is ok from the start", async ({ store }) => {
    assert.equal(store.shared, applies === "shared");
    const h = store.health();
    assert.equal(h.state, "ok");
    assert.ok(!Number.isNaN(Date.parse(h.since)), `since is a time: ${h.since}`);
    const stop = store.onHealth(() => undefined);
    assert.equal(typeof stop, "function");
    stop();
  });

  t("a commit whose expectations hold applies: the value read, and absence", async ({ store }) => {
    await store.commit([put("a", { n: 1 })]);
    const a = store.get(C, "a");
    await store.commit(
      [put("a", { n: 2 }), put("b", 1)],
      [
        { collection: C, id: "a", value: a },
        { collection: C, id: "b", value: undefined },
      ],
    );
    assert.deepEqual(store.get(C, "a"), { n: 2 });
    assert.equal(store.get(C, "b"), 1);
  });

  t("an expectation on a value that changed since it was read: ENF_ERR_STORE_CONFLICT", async ({ store }) => {
    await store.commit([put("a", { n: 1 })]);
    const read = store.get(C, "a");
    // Rewritten with equal content: still a change (the value read is not the value stored any more).
    await store.commit([put("a", { n: 1 })]);
    const heard = listen(store);
    await assert.rejects(
      store.commit([put("a", { n: 3 }), put("other", 1)], [{ collection: C, id: "a", value: read }]),
      conflict,
    );
    assert.deepEqual(store.get(C, "a"), { n: 1 });
    assert.equal(store.get(C, "other"), undefined, "a refused commit applied an op");
    assert.deepEqual(heard, [], "a refused commit was heard");
  });

  t("absence expected but the key is there: ENF_ERR_STORE_CONFLICT, nothing changed", async ({ store }) => {
    await store.commit([put("a", 1)]);
    const heard = listen(store);
    await assert.rejects(
      store.commit([put("a", 2), put("b", 2)], [{ collection: C, id: "a", value: undefined }]),
      conflict,
    );
    assert.equal(store.get(C, "a"), 1);
    assert.equal(store.get(C, "b"), undefined);
    assert.deepEqual(heard, []);
  });

  t("commits at once that expect the same value: exactly one wins", async ({ store }) => {
    await store.commit([put("armed", { state: "armed" })]);
    const read = store.get(C, "armed");
    const heard = listen(store);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        store.commit(
          [put("armed", { state: "triggered", by: i })],
          [{ collection: C, id: "armed", value: read }],
        ),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    assert.equal(won.length, 1, "one commit wins");
    for (const r of results) if (r.status === "rejected") assert.ok(conflict(r.reason), String(r.reason));
    assert.equal(heard.length, 1, "the feed heard the winner only");
    assert.deepEqual(store.get(C, "armed"), heard[0]![0]!.op === "put" ? heard[0]![0]!.value : undefined);
  });

  t(
    "maxOpsPerCommit: a commit of that many applies, one more rejects with ENF_ERR_STORE_TOO_LARGE",
    async ({ store }) => {
      const max = store.maxOpsPerCommit;
      assert.ok(max > 0, "at least one op per commit");
      if (!Number.isFinite(max)) {
        await store.commit(Array.from({ length: 1000 }, (_, i) => put(`k${i}`, i)));
        assert.equal(store.count(C), 1000);
        return;
      }
      await store.commit(Array.from({ length: max }, (_, i) => put(`k${i}`, i)));
      assert.equal(store.count(C), max);
      const heard = listen(store);
      await assert.rejects(store.commit(Array.from({ length: max + 1 }, (_, i) => put(`big${i}`, i))), (e) =>
        isEnforcerError(e, "ENF_ERR_STORE_TOO_LARGE"),
      );
      assert.equal(store.get(C, "big0"), undefined);
      assert.deepEqual(heard, []);
    },
  );

  t(
    "a peer process: its commits reach this store's memory and feed; expectations hold across both",
    async (s) => {
      if (!s.peer) return; // one process only
      const other = await s.peer();
      try {
        const heard = listen(s.store);
        await other.commit([put("from-peer", { n: 1 })]);
        await until(() => s.store.get(C, "from-peer") !== undefined);
        assert.deepEqual(heard, [[put("from-peer", { n: 1 })]]);
        // Both read the same config, both try to trigger it: exactly one wins.
        await until(() => other.get(C, "from-peer") !== undefined);
        const mine = s.store.get(C, "from-peer");
        const theirs = other.get(C, "from-peer");
        const results = await Promise.allSettled([
          s.store.commit([put("from-peer", { n: 2 })], [{ collection: C, id: "from-peer", value: mine }]),
          other.commit([put("from-peer", { n: 3 })], [{ collection: C, id: "from-peer", value: theirs }]),
        ]);
        assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, "exactly one wins");
        await until(
          () => JSON.stringify(s.store.get(C, "from-peer")) === JSON.stringify(other.get(C, "from-peer")),
        );
      } finally {
        await other.close();
      }
    },
  );
}

/** Waits (up to 5 s) until `cond` holds: a shared store applies a peer's commit when its watch hears it. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the store to follow its peer");
    await new Promise((r) => setTimeout(r, 5));
  }
}
