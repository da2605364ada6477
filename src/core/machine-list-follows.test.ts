import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseMac } from "../domain/mac.js";
import { FileStore } from "../store/file-store.js";
import { testCore } from "./testing/fixtures.js";

const A = parseMac("52:54:00:00:03:0a");
const B = parseMac("52:54:00:00:03:0b");
const C = parseMac("52:54:00:00:03:0c");
const ADMIN = { kind: "token", id: "t-admin", name: "admin", role: "admin" } as const;

test("the machine list follows edits, forget, a merge and a restart (file store)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "enf-list-"));
  try {
    const store = await FileStore.open({ dir });
    const { core } = testCore({}, store);
    const ids = (q: Parameters<typeof core.machines.list>[0]) => core.machines.list(q).items.map((m) => m.id);
    await core.machines.register(A, { hostname: "web-a", labels: { rack: "r1" } });
    await core.machines.register(B, { hostname: "web-b", labels: { rack: "r1" } });
    await core.machines.register(C, { hostname: "db-c", labels: { rack: "r2" } });
    // The first filtered query builds the index; everything after must be followed, not rebuilt.
    assert.deepEqual(ids({ label: { rack: "r1" } }), [A, B]);
    assert.deepEqual(ids({ search: "WEB" }), [A, B]);

    await core.machines.update(B, { hostname: "db-b", labels: { rack: "r2", role: "db" } });
    assert.deepEqual(ids({ label: { rack: "r1" } }), [A]);
    assert.deepEqual(ids({ label: { rack: "r2" } }), [B, C]);
    assert.deepEqual(ids({ label: { rack: "r2", role: "db" } }), [B]);
    assert.deepEqual(ids({ search: "web" }), [A]);
    assert.deepEqual(ids({ search: "db-" }), [B, C]);

    await core.machines.forget(C, () => false);
    assert.deepEqual(ids({ label: { rack: "r2" } }), [B]);
    assert.deepEqual(ids({ search: "db-c" }), []);

    // A NIC moved: A's record merges into B; B keeps its id and labels, A's MAC joins it.
    await core.agentReports.report(ADMIN, [B], { uuid: "6f1e0d2c-0000-4000-8000-00000000000b" });
    const clash = await core.agentReports.report(ADMIN, [A], {
      uuid: "6f1e0d2c-0000-4000-8000-00000000000b",
    });
    await core.conflicts.resolve(clash.conflicts[0]!, "merge", "op");
    assert.deepEqual(ids({ label: { rack: "r1" } }), [], "the merged record is gone from its label");
    assert.deepEqual(ids({ search: "web-a" }), []);
    assert.deepEqual(ids({ search: "6f1e0d2c" }), [B], "the UUID is searched");
    const before = core.machines.list({ label: { rack: "r2" }, search: "db" });
    await store.close();

    const reopened = await FileStore.open({ dir });
    try {
      const after = testCore({}, reopened).core.machines.list({ label: { rack: "r2" }, search: "db" });
      assert.deepEqual(after, before, "a restart lists the same");
      assert.equal(after.total, 1);
    } finally {
      await reopened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
