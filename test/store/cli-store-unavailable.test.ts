// The CLI against a server whose store is unavailable (the real HTTP server over the FAKE shared store, as a
// lost etcd quorum): a write prints one line with the coded error and exits 1; a read still works.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { testApp } from "../../src/http/testing/app.js";
import { SharedMemoryEngine } from "../../src/store/testing/shared-memory-store.js";

const run = promisify(execFile);

test("fake shared store unavailable: `enforcer machines register` prints one line ENF_ERR_STORE_UNAVAILABLE and exits 1; `machines list` works", async () => {
  const engine = new SharedMemoryEngine();
  const t = await testApp({}, {}, engine.view());
  await t.http.listen({ port: 0, host: "127.0.0.1" });
  try {
    const base = `http://127.0.0.1:${(t.http.server.address() as { port: number }).port}`;
    const cli = (...args: string[]) =>
      run(process.execPath, [
        resolve("bin/enforcer.js"),
        ...args,
        "--url",
        base,
        "--token",
        t.tokens.admin,
      ]).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    engine.setAvailable(false);
    const w = await cli("machines", "register", "52:54:00:5f:00:02");
    assert.equal(w.code, 1);
    assert.equal(
      w.stderr,
      "enforcer: the store is unavailable: changes cannot be saved; machines keep booting from memory. Try again when it is back [ENF_ERR_STORE_UNAVAILABLE]\n",
    );
    const r = await cli("machines", "list");
    assert.equal(r.code, 0, r.stderr);
    engine.setAvailable(true);
    assert.equal((await cli("machines", "register", "52:54:00:5f:00:02")).code, 0);
  } finally {
    await t.http.close();
  }
});
