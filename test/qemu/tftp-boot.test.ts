// Real client: iPXE in QEMU loads boot.ipxe and a multi-megabyte kernel and initrd over Enforcer's TFTP.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { linuxFixture } from "../support/linux-fixture.js";
import { runVm } from "../support/qemu.js";
import { armTestLinux } from "../support/test-config.js";

const MAC = "52:54:00:12:34:88";

describe("iPXE in QEMU over TFTP", { timeout: 600_000 }, () => {
  let enf: EnforcerProcess & { tftpPort?: number };
  let kernelSize = 0;

  before(async () => {
    const fx = linuxFixture();
    const root = mkdtempSync(join(tmpdir(), "enforcer-tftproot-"));
    copyFileSync(fx.kernel, join(root, "vmlinuz"));
    copyFileSync(fx.initrd, join(root, "initrd.gz"));
    kernelSize = statSync(fx.kernel).size;
    enf = await startEnforcer(["--tftp-root", root, "--log-level", "info"], {
      publicHost: "10.0.2.2",
      tftp: true,
    });
  });
  after(() => enf?.stop());

  test("boot.ipxe, the kernel and the initrd come over TFTP; the config completes", async () => {
    const t = enf.tftpPort!;
    const id = await armTestLinux(enf, MAC, "tftp-linux", `tftp://10.0.2.2:${t}`);

    const vm = await runVm({ bootUrl: `tftp://10.0.2.2:${t}/boot.ipxe`, mac: MAC, timeoutMs: 240_000 });
    assert.ok(vm.output.includes("ENF-COMPLETED"), `completion failed:\n${vm.output.slice(-3000)}`);
    assert.equal((await enf.api<{ state: string }>("GET", `/configs/${id}`)).body.state, "completed");
    const logs = enf.logs();
    for (const file of ["boot.ipxe", "vmlinuz", "initrd.gz"]) {
      assert.match(logs, new RegExp(`tftp complete ${file.replace(".", "\\.")} to 127\\.0\\.0\\.1`), file);
    }
    // iPXE asks for blksize 1432 and tsize; the log records it and the bytes sent.
    const line = logs.split("\n").find((l) => l.includes("tftp complete vmlinuz"))!;
    const rec = JSON.parse(line) as { tftp: { bytes: number; options: Record<string, string> } };
    assert.equal(rec.tftp.bytes, kernelSize);
    assert.equal(rec.tftp.options.blksize, "1432");
  });
});
