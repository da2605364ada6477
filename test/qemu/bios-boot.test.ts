// Real client: iPXE (Debian's ipxe-qemu ROM) in QEMU against a real `enforcer serve`.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { LOCAL_DISK_MARKER, writeBootDisk } from "../support/boot-disk.js";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { linuxFixture } from "../support/linux-fixture.js";
import { runVm } from "../support/qemu.js";
import { armTestLinux } from "../support/test-config.js";
import { serveFiles } from "../support/static-files.js";

const MAC = "52:54:00:12:34:56";

describe("iPXE in QEMU (BIOS): unknown machine, armed config, one boot only", { timeout: 600_000 }, () => {
  let enf: EnforcerProcess;
  let mirror: Awaited<ReturnType<typeof serveFiles>>;
  let disk: string;

  before(async () => {
    const fx = linuxFixture();
    mirror = await serveFiles([fx.kernel, fx.initrd]);
    enf = await startEnforcer([], { publicHost: "10.0.2.2" });
    disk = join(mkdtempSync(join(tmpdir(), "enforcer-disk-")), "disk.img");
    writeBootDisk(disk);
  });
  after(async () => {
    await enf?.stop();
    await mirror?.close();
  });

  const boot = () =>
    runVm({ bootUrl: `http://10.0.2.2:${enf.port}/boot.ipxe`, mac: MAC, disk, timeoutMs: 180_000 });

  test("an unknown machine with discovery off falls through to its local disk, and is recorded as seen", async () => {
    const vm = await boot();
    assert.match(vm.output, /Enforcer: no config here/);
    assert.match(vm.output, /Enforcer: booting the local disk/);
    assert.ok(vm.output.includes(LOCAL_DISK_MARKER), `local disk never booted:\n${vm.output.slice(-2000)}`);
    const m = await enf.api<{ id: string; platform: string; uuid: string; serial: string }>(
      "GET",
      `/machines/${MAC}`,
    );
    assert.equal(m.status, 200);
    assert.equal(m.body.platform, "pcbios");
    assert.equal(m.body.uuid, "11111111-2222-3333-4444-555555555555");
    assert.equal(m.body.serial, "SN-TEST-1");
  });

  test("an armed config boots a real kernel and initrd that calls the completion URL", async () => {
    const id = await armTestLinux(enf, MAC, "test-linux", `http://10.0.2.2:${mirror.port}`);

    const vm = await boot();
    assert.ok(vm.output.includes("ENF-INITRD-UP"), `initrd never ran:\n${vm.output.slice(-3000)}`);
    assert.ok(vm.output.includes("ENF-COMPLETED"), `completion failed:\n${vm.output.slice(-3000)}`);
    assert.ok(vm.output.includes("uuid=11111111-2222-3333-4444-555555555555 serial=SN-TEST-1"));
    const after = await enf.api<{ state: string }>("GET", `/configs/${id}`);
    assert.equal(after.body.state, "completed");
    const events = await enf.api<{ items: { kind: string }[] }>("GET", `/machines/${MAC}/events`);
    const kinds = events.body.items.map((e) => e.kind);
    assert.deepEqual(
      kinds.filter((k) => k.startsWith("config.")),
      ["config.created", "config.armed", "config.triggered", "config.completed"],
    );
  });

  test("the same machine's next boot falls through to the local disk", async () => {
    const vm = await boot();
    assert.ok(!vm.output.includes("ENF-INITRD-UP"), "the completed config was served again");
    assert.ok(vm.output.includes(LOCAL_DISK_MARKER), `local disk never booted:\n${vm.output.slice(-2000)}`);
  });
});
