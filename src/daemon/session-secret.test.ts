import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { SharedMemoryEngine } from "../store/testing/shared-memory-store.js";
import { sharedSessionSecret } from "./session-secret.js";

test("fake shared store: instances starting together agree on one session secret, and later starts take it", async () => {
  const engine = new SharedMemoryEngine();
  const views = [engine.view(), engine.view(), engine.view()];
  try {
    const locals = views.map(() => randomBytes(32));
    const got = await Promise.all(views.map((v, i) => sharedSessionSecret(v, locals[i]!)));
    assert.equal(new Set(got.map((s) => s.toString("hex"))).size, 1, "one secret for all");
    assert.ok(
      locals.some((l) => l.equals(got[0]!)),
      "one instance's own secret won",
    );
    const late = engine.view();
    views.push(late);
    assert.ok((await sharedSessionSecret(late, randomBytes(32))).equals(got[0]!));
  } finally {
    await Promise.all(views.map((v) => v.close()));
  }
});

test("a local store keeps the session secret in the data directory alone (a copy of the store makes no key)", async () => {
  const store = new MemoryStore();
  const local = randomBytes(32);
  assert.equal(await sharedSessionSecret(store, local), local);
  assert.equal(store.count("runtime"), 0);
});
