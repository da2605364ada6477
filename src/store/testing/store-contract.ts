import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../../domain/errors.js";
import type { Store, StoreOp } from "../store.js";
import { expectCases } from "./store-contract-expect.js";

/** A store under test, and what its implementation can do beyond the port. */
export interface ContractSubject {
  store: Store;
  /** Opens the same data again once `store` is closed; absent where nothing outlives the store. */
  reopen?: () => Promise<Store>;
  /** Makes the store's next durable write fail (a disk error); absent where nothing is written. */
  breakDurability?: () => Promise<void>;
  /** Another process's view of the same data (shared backends); the suite closes it. */
  peer?: () => Promise<Store>;
}

/** What kind of backend the suite tests (src/store/store.ts: "when a commit applies"). */
export interface ContractOptions {
  /**
   * "immediate" (default): the store applies a commit inside the `commit` call, as the file store does.
   * "shared": it applies it once the engine accepted it, before the promise resolves (etcd); the cases about
   * what is visible at the call run only for immediate stores.
   */
  applies?: "immediate" | "shared";
}

const C = "things";
const put = (id: string, value: unknown, collection = C): StoreOp => ({ op: "put", collection, id, value });
const del = (id: string, collection = C): StoreOp => ({ op: "del", collection, id });
const closed = (e: unknown) => isEnforcerError(e, "ENF_ERR_STORE_CLOSED");

/** Every op the store's feed has told about, one array per commit. */
function listen(store: Store): { heard: StoreOp[][]; stop: () => void } {
  const heard: StoreOp[][] = [];
  const stop = store.onApplied((ops) => heard.push([...ops]));
  return { heard, stop };
}

/** Collects process warnings (where the feed reports a listener that threw) until stopped. */
function captureWarnings(): string[] & { stop: () => void } {
  const seen: string[] = [];
  const on = (w: Error) => seen.push(w.message);
  process.on("warning", on);
  return Object.assign(seen, { stop: () => void process.off("warning", on) });
}

/**
 * The contract of the `Store` port (src/store/store.ts, docs/store.md "What a backend must do"), as node:test
 * tests. Every implementation runs it: `storeContract("file", open)` in its own `*.contract.test.ts`.
 */
export function storeContract(
  name: string,
  open: () => Promise<ContractSubject>,
  options: ContractOptions = {},
): void {
  const immediate = (options.applies ?? "immediate") === "immediate";
  const t = (title: string, fn: (s: ContractSubject) => Promise<void>) =>
    test(`${name} store: ${title}`, async () => {
      const s = await open();
      try {
        await fn(s);
      } finally {
        await s.store.close().catch(() => undefined);
      }
    });

  if (immediate)
    t("a commit is visible as soon as commit() is called, all its ops together", async ({ store }) => {
      const done = store.commit([put("a", { n: 1 }), put("b", { n: 2 }), put("a", 1, "other")]);
      assert.deepEqual(store.get(C, "a"), { n: 1 });
      assert.deepEqual(store.get(C, "b"), { n: 2 });
      assert.equal(store.get("other", "a"), 1);
      await done;
      assert.deepEqual(store.get(C, "b"), { n: 2 });
    });

  t("a commit's ops apply in order: the last op on a key wins", async ({ store }) => {
    await store.commit([put("x", 1), del("x"), put("y", 1), put("y", 2), del("z"), put("z", 3)]);
    assert.equal(store.get(C, "x"), undefined);
    assert.equal(store.get(C, "y"), 2);
    assert.equal(store.get(C, "z"), 3);
    assert.equal(store.count(C), 2);
  });

  t("count and all answer what is stored; deleting a missing key is no error", async ({ store }) => {
    await store.commit([put("a", 1), put("b", 2), put("c", 3)]);
    await store.commit([del("b"), del("never")]);
    assert.equal(store.count(C), 2);
    assert.deepEqual([...store.all<number>(C)].sort(), [1, 3]);
  });

  t("collections are apart: the same id in two of them, an unknown one is empty", async ({ store }) => {
    await store.commit([put("k", "in-a", "a"), put("k", "in-b", "b")]);
    await store.commit([del("k", "a")]);
    assert.equal(store.get("a", "k"), undefined);
    assert.equal(store.get("b", "k"), "in-b");
    assert.equal(store.count("nothing-here"), 0);
    assert.deepEqual([...store.all("nothing-here")], []);
    assert.equal(store.get("nothing-here", "k"), undefined);
  });

  t("values read back equal to what was put (plain JSON)", async ({ store }) => {
    const value = { s: 'é\n"', n: 1.5, b: true, nil: null, list: [1, { x: "y" }], nested: { a: {} } };
    await store.commit([put("v", value)]);
    assert.deepEqual(store.get(C, "v"), value);
  });

  t("the feed tells each commit's ops once, in commit order, before commit() resolves", async ({ store }) => {
    const { heard } = listen(store);
    const second = listen(store);
    const first = store.commit([put("a", 1), put("b", 2)]);
    if (immediate) assert.deepEqual(heard, [[put("a", 1), put("b", 2)]], "heard before commit() returned");
    else await first;
    assert.deepEqual(heard, [[put("a", 1), put("b", 2)]], "heard before commit() resolved");
    const next = store.commit([del("a")]);
    await Promise.all([first, next]);
    assert.deepEqual(heard, [[put("a", 1), put("b", 2)], [del("a")]]);
    assert.deepEqual(second.heard, heard);
  });

  t("the feed: a listener sees the store already changed; unsubscribing stops it", async ({ store }) => {
    const seen: unknown[] = [];
    const stop = store.onApplied(() => seen.push(store.get(C, "a")));
    await store.commit([put("a", 1)]);
    stop();
    await store.commit([put("a", 2)]);
    assert.deepEqual(seen, [1]);
  });

  t("a listener that throws stops neither the other listeners nor the commit", async (s) => {
    const { store } = s;
    const warned = captureWarnings();
    try {
      store.onApplied(() => {
        throw new Error("bad listener");
      });
      const { heard } = listen(store);
      await store.commit([put("a", 1)]);
      assert.deepEqual(heard, [[put("a", 1)]], "the next listener heard the commit");
      assert.equal(store.get(C, "a"), 1);
      await store.commit([put("b", 2)]);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      assert.ok(
        warned.some((w) => w.includes("bad listener")),
        "the failure is reported",
      );
      if (!s.reopen) return;
      await store.close();
      const again = await s.reopen();
      assert.equal(again.get(C, "a"), 1, "the commit a listener threw on is durable");
      assert.equal(again.get(C, "b"), 2);
      await again.close();
    } finally {
      warned.stop();
    }
  });

  t("an empty commit resolves and the feed hears nothing", async ({ store }) => {
    const { heard } = listen(store);
    await store.commit([]);
    assert.deepEqual(heard, []);
  });

  t("many commits at once all resolve, each heard once, in the order applied", async ({ store }) => {
    const { heard } = listen(store);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.commit([put("k", i), put(`k${i}`, i)])));
    assert.equal(store.count(C), 201);
    const order = heard.map((ops) => (ops[0] as { value: number }).value);
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      Array.from({ length: 200 }, (_, i) => i),
    );
    assert.equal(store.get(C, "k"), order.at(-1), "the last commit applied is what is stored");
    // A shared engine orders concurrent commits itself; a local store applies them as called.
    if (immediate)
      assert.deepEqual(
        order,
        Array.from({ length: 200 }, (_, i) => i),
      );
  });

  t(
    "a commit under way at close resolves; later commits fail with ENF_ERR_STORE_CLOSED",
    async ({ store }) => {
      const pending = store.commit([put("a", 1)]);
      await store.close();
      await pending; // durable: the reopen test checks it where something outlives the store
      const { heard } = listen(store);
      await assert.rejects(store.commit([put("b", 2)]), closed);
      await assert.rejects(store.commit([]), closed);
      assert.equal(store.get(C, "b"), undefined, "a refused commit changed memory");
      assert.deepEqual(heard, [], "a refused commit was heard");
      await store.close(); // twice is fine
    },
  );

  t("what was committed is there after a reopen, deletes too", async ({ store, reopen }) => {
    if (!reopen) return; // nothing outlives this store
    await store.commit([put("a", { n: 1 }), put("b", 2), put("c", 3, "other")]);
    await store.commit([del("b")]);
    store.commit([put("d", 4)]).catch(() => undefined); // not awaited: close still makes it durable
    await store.close();
    const again = await reopen();
    try {
      assert.deepEqual(again.get(C, "a"), { n: 1 });
      assert.equal(again.get(C, "b"), undefined);
      assert.equal(again.get(C, "d"), 4);
      assert.equal(again.get("other", "c"), 3);
      assert.equal(again.count(C), 2);
    } finally {
      await again.close();
    }
  });

  t(
    "a failed durable write rejects with ENF_ERR_STORE_IO, and so does every commit after it",
    async ({ store, breakDurability, reopen }) => {
      if (!breakDurability) return; // nothing is written that could fail
      await store.commit([put("kept", 1)]);
      await breakDurability!();
      await assert.rejects(store.commit([put("lost", 1)]), (e) => isEnforcerError(e, "ENF_ERR_STORE_IO"));
      // Fail-stop: memory may now hold what the disk does not, so nothing more is taken (nor heard).
      const { heard } = listen(store);
      await assert.rejects(store.commit([put("after", 1)]), (e) => isEnforcerError(e, "ENF_ERR_STORE_IO"));
      assert.equal(store.get(C, "after"), undefined);
      assert.deepEqual(heard, []);
      assert.equal(store.get(C, "kept"), 1, "reads go on working");
      await store.close();
      if (!reopen) return;
      const again = await reopen();
      try {
        assert.equal(again.get(C, "kept"), 1, "an acknowledged commit was lost");
        assert.equal(again.get(C, "after"), undefined);
      } finally {
        await again.close();
      }
    },
  );

  expectCases(t, immediate ? "immediate" : "shared");
}
