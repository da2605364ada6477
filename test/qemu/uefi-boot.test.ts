// Real client: iPXE's EFI ROM under OVMF in QEMU; the config's script must carry initrd=NAME on efi. The next
// boot falls through to the local disk: boot.ipxe's `exit 1` hands OVMF a failure, so its boot manager boots
// the next option, a FAT disk whose EFI/BOOT/BOOTX64.EFI prints a marker and powers off.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { linuxFixture } from "../support/linux-fixture.js";
import { EFI_LOCAL_DISK_MARKER, writeEfiBootDir } from "../support/efi-boot-disk.js";
import { runVm } from "../support/qemu.js";
import { armTestLinux } from "../support/test-config.js";
import { serveFiles } from "../support/static-files.js";

const MAC = "52:54:00:12:34:66";

describe("iPXE in QEMU (UEFI/OVMF): armed config boots once", { timeout: 600_000 }, () => {
  let enf: EnforcerProcess;
  let mirror: Awaited<ReturnType<typeof serveFiles>>;
  let esp: string;

  before(async () => {
    esp = mkdtempSync(join(tmpdir(), "enforcer-esp-"));
    writeEfiBootDir(esp);
    const fx = linuxFixture();
    mirror = await serveFiles([fx.kernel, fx.initrd]);
    enf = await startEnforcer([], { publicHost: "10.0.2.2" });
  });
  after(async () => {
    await enf?.stop();
    await mirror?.close();
    if (esp) rmSync(esp, { recursive: true, force: true });
  });

  test("the efi script names the initrd on the kernel command line, the kernel finds it and completes", async () => {
    const id = await armTestLinux(enf, MAC, "efi-linux", `http://10.0.2.2:${mirror.port}`);

    const vm = await runVm({
      bootUrl: `http://10.0.2.2:${enf.port}/boot.ipxe`,
      mac: MAC,
      uefi: true,
      timeoutMs: 240_000,
    });
    assert.match(vm.output, /Enforcer: \S+ efi x86_64/);
    assert.ok(vm.output.includes("ENF-INITRD-UP"), `initrd never ran:\n${vm.output.slice(-3000)}`);
    assert.ok(vm.output.includes("ENF-COMPLETED"), `completion failed:\n${vm.output.slice(-3000)}`);
    assert.equal((await enf.api<{ state: string }>("GET", `/configs/${id}`)).body.state, "completed");

    const again = await runVm({
      bootUrl: `http://10.0.2.2:${enf.port}/boot.ipxe`,
      mac: MAC,
      uefi: true,
      esp,
      // After iPXE's failure OVMF tries its own network boot options for the NIC before the disk.
      timeoutMs: 300_000,
    });
    assert.ok(again.output.includes("Enforcer: booting the local disk"), again.output.slice(-2000));
    assert.ok(!again.output.includes("ENF-INITRD-UP"));
    // With `exit 0` OVMF opened its setup menu (UiApp) and waited for a key instead.
    const disk = again.output.indexOf(EFI_LOCAL_DISK_MARKER);
    assert.ok(
      disk > again.output.indexOf("Enforcer: booting the local disk"),
      `the local disk never booted:\n${again.output.slice(-2000)}`,
    );
    assert.ok(!again.timedOut, "the local disk's EFI application never powered the VM off");
  });
});
