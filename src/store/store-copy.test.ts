import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalJson, digestRecords } from "./record-digest.js";
import { copyRecords } from "./store-copy.js";
import type { Store, StoreOp } from "./store.js";

/** A target that keeps each commit's ops and how many commits were under way at once. */
function recorder(): { store: Store; commits: StoreOp[][]; most: () => number } {
  const commits: StoreOp[][] = [];
  let now = 0;
  let most = 0;
  const store = {
    commit: async (ops: StoreOp[]) => {
      most = Math.max(most, ++now);
      await new Promise((r) => setTimeout(r, 1));
      commits.push(ops);
      now--;
    },
  } as unknown as Store;
  return { store, commits, most: () => most };
}

const records = (n: number, size = 10) =>
  new Map([["things", new Map(Array.from({ length: n }, (_, i) => [`id${i}`, { v: "x".repeat(size) }]))]]);

test("a copy makes commits of at most maxOpsPerCommit ops, every record once, a few under way at once", async () => {
  const t = recorder();
  const r = await copyRecords(records(300), ["things"], t.store, { maxOpsPerCommit: 128 });
  assert.deepEqual(
    t.commits.map((c) => c.length).sort((a, b) => b - a),
    [128, 128, 44],
  );
  assert.deepEqual(r, { records: 300, commits: 3 });
  assert.equal(new Set(t.commits.flat().map((o) => o.id)).size, 300);
  assert.ok(t.most() > 1 && t.most() <= 4, `${t.most()} commits at once`);
});

test("a file store target (no op limit) still gets commits of at most 1000 ops and about 1 MiB", async () => {
  const small = recorder();
  await copyRecords(records(2500), ["things"], small.store, { maxOpsPerCommit: Infinity });
  assert.ok(small.commits.every((c) => c.length <= 1000));
  const large = recorder();
  // 100 records of 100 KB: ten to a MiB. One of 3 MB goes alone.
  const big = records(100, 100_000);
  big.get("things")!.set("huge", { v: "y".repeat(3_000_000) });
  await copyRecords(big, ["things"], large.store, { maxOpsPerCommit: 128 });
  for (const c of large.commits) {
    const bytes = c.reduce((n, o) => n + JSON.stringify(o.op === "put" ? o.value : null).length, 0);
    assert.ok(c.length === 1 || bytes <= 1024 * 1024, `a commit of ${c.length} ops and ${bytes} bytes`);
  }
  assert.equal(large.commits.flat().length, 101);
});

test("a failed commit stops the copy and rejects with its error", async () => {
  let n = 0;
  const store = {
    commit: async () => {
      if (++n === 2) throw new Error("disk full");
    },
  } as unknown as Store;
  await assert.rejects(copyRecords(records(1000), ["things"], store, { maxOpsPerCommit: 10 }), /disk full/);
  assert.ok(n < 100, `${n} commits tried after the failure`);
});

test("digests: equal values hash alike whatever their key order; a changed value, id or count does not", () => {
  const d = (m: Map<string, unknown>) => digestRecords(new Map([["c", m]]), ["c", "absent"]).get("c");
  const a = d(new Map([["1", { a: 1, b: { c: 2, d: [1, { e: 1, f: 2 }] } }]]));
  assert.deepEqual(a, d(new Map([["1", { b: { d: [1, { f: 2, e: 1 }], c: 2 }, a: 1 }]])));
  assert.notDeepEqual(a, d(new Map([["1", { a: 1, b: { c: 3, d: [1, { e: 1, f: 2 }] } }]])));
  assert.notDeepEqual(a, d(new Map([["2", { a: 1, b: { c: 2, d: [1, { e: 1, f: 2 }] } }]])));
  assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] }), '{"a":[{"c":2,"d":1}],"b":1}');
  assert.equal(digestRecords(new Map(), ["absent"]).get("absent")?.records, 0);
});
