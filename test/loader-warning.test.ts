import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startEnforcer } from "./support/enforcer-process.js";

test("a start with no iPXE loaders warns once, naming the directory, --ipxe-dir and the ipxe package; with loaders it is quiet and serves them", async (t) => {
  const empty = mkdtempSync(join(tmpdir(), "enforcer-no-ipxe-"));
  const full = mkdtempSync(join(tmpdir(), "enforcer-ipxe-"));
  t.after(() => {
    rmSync(empty, { recursive: true, force: true });
    rmSync(full, { recursive: true, force: true });
  });
  writeFileSync(join(full, "undionly.kpxe"), "not really a loader\n");

  const bare = await startEnforcer(["--ipxe-dir", empty]);
  const warnings = bare
    .logs()
    .split("\n")
    .filter((l) => l.includes("no iPXE loaders"));
  assert.equal(warnings.length, 1, bare.logs());
  assert.ok(warnings[0]!.includes(`in ${empty} (--ipxe-dir, ENFORCER_IPXE_DIR)`), warnings[0]);
  assert.ok(warnings[0]!.includes("sudo apt-get install ipxe"), warnings[0]);
  assert.equal((await fetch(`${bare.base}/tftp/undionly.kpxe`)).status, 404);
  assert.equal(await bare.stop(), 0);

  const served = await startEnforcer(["--ipxe-dir", full]);
  assert.doesNotMatch(served.logs(), /no iPXE loaders/);
  const res = await fetch(`${served.base}/tftp/undionly.kpxe`);
  assert.equal(await res.text(), "not really a loader\n");
  assert.equal(await served.stop(), 0);
});
