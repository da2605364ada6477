import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startEtcd } from "../src/store/testing/etcd-peer.js";
import { startEnforcer } from "./support/enforcer-process.js";

test("enforcer serve --store etcd://: two instances share their state; one with another session.secret refuses to start", async () => {
  const etcd = await startEtcd();
  const store = ["--store", `etcd://${etcd.endpoints}`, "--store-prefix", "/serve-test"];
  const a = await startEnforcer(store);
  try {
    // The second instance: its own data directory, with the first one's secret and token files copied in.
    const dataB = mkdtempSync(join(tmpdir(), "enforcer-test-"));
    for (const f of ["session.secret", "power.key", "admin.token"])
      copyFileSync(join(a.data, f), join(dataB, f));
    const b = await startEnforcer(store, { data: dataB });
    try {
      const made = await a.api("POST", "/profiles", {
        name: "shared",
        family: "custom",
        kernel: "http://m/k",
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const deadline = Date.now() + 5000;
      let seen = await b.api("GET", "/profiles/shared");
      while (seen.status !== 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        seen = await b.api("GET", "/profiles/shared");
      }
      assert.equal(seen.status, 200, "b serves the profile a created");
      const again = await b.api("POST", "/profiles", {
        name: "shared",
        family: "custom",
        kernel: "http://m/k",
      });
      assert.equal(again.status, 409, "and knows it exists");
    } finally {
      await b.stop();
    }
    await assert.rejects(startEnforcer(store), /ENF_ERR_STORE_REFUSED|session\.secret differs/);
    // The same session.secret but another power.key: the cluster's passwords would not open there.
    const dataC = mkdtempSync(join(tmpdir(), "enforcer-test-"));
    copyFileSync(join(a.data, "session.secret"), join(dataC, "session.secret"));
    await assert.rejects(startEnforcer(store, { data: dataC }), /power\.key differs/);
  } finally {
    await a.stop();
    await etcd.stop();
  }
});
