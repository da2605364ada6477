import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { SharedMemoryEngine } from "./testing/shared-memory-store.js";
import { storeContract } from "./testing/store-contract.js";

// The fake shared backend the multi-instance core tests use must keep the port's contract as etcd does.
storeContract(
  "fake shared",
  async () => {
    const engine = new SharedMemoryEngine(64);
    return { store: engine.view(), peer: async () => engine.view() };
  },
  { applies: "shared" },
);

test("fake shared store: without quorum commits reject with ENF_ERR_STORE_UNAVAILABLE, reads go on, health says so", async () => {
  const engine = new SharedMemoryEngine();
  const a = engine.view();
  await a.commit([{ op: "put", collection: "c", id: "k", value: 1 }]);
  const heard: string[] = [];
  a.onHealth((h) => heard.push(h.state));
  engine.setAvailable(false);
  assert.equal(a.health().state, "unavailable");
  await assert.rejects(a.commit([{ op: "put", collection: "c", id: "k", value: 2 }]), (e) =>
    isEnforcerError(e, "ENF_ERR_STORE_UNAVAILABLE"),
  );
  assert.equal(a.get("c", "k"), 1, "reads serve what memory holds");
  engine.setAvailable(true);
  await a.commit([{ op: "put", collection: "c", id: "k", value: 3 }]);
  assert.equal(a.get("c", "k"), 3);
  assert.deepEqual(heard, ["unavailable", "ok"]);
  await a.close();
});
