import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { buildApkovl } from "./apkovl.js";

test("the apkovl unpacks with tar into a local.d script enabled in the default runlevel", async () => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-apkovl-"));
  writeFileSync(join(dir, "ovl.tar.gz"), await buildApkovl("#!/bin/sh\necho provisioned\n"));
  execFileSync("tar", ["-xzf", "ovl.tar.gz"], { cwd: dir });
  const script = join(dir, "etc/local.d/enforcer.start");
  assert.equal(readFileSync(script, "utf8"), "#!/bin/sh\necho provisioned\n");
  assert.equal(statSync(script).mode & 0o777, 0o755);
  assert.equal(readlinkSync(join(dir, "etc/runlevels/default/local")), "/etc/init.d/local");
  assert.equal(readFileSync(join(dir, "etc/.default_boot_services"), "utf8"), "");
});
