// Real client: iPXE in QEMU with two NICs of the same model, booting from one of them. Enforcer must know the
// machine by the MAC of the NIC that booted, whichever PCI slot it sits in and however iPXE got the script:
// the NIC's iPXE ROM fetching boot.ipxe over HTTP or over TFTP, or an embedded script that runs `dhcp` and
// chains boot.ipxe (Debian's ipxe.lkrn runs the initrd QEMU hands it as its script). docs/dhcp.md, "Which
// NIC names a machine".
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { linuxFixture } from "../support/linux-fixture.js";
import { runVm, type VmNic, type VmOptions } from "../support/qemu.js";
import { serveFiles } from "../support/static-files.js";
import { armTestLinux } from "../support/test-config.js";

const LKRN = "/usr/lib/ipxe/ipxe.lkrn";
const NIC = "virtio-net-pci";

describe("iPXE in QEMU with two NICs: the booting NIC's MAC names the machine", { timeout: 300_000 }, () => {
  let enf: EnforcerProcess & { tftpPort?: number };
  let mirror: Awaited<ReturnType<typeof serveFiles>>;
  let embedded: string;

  before(async () => {
    assert.ok(existsSync(LKRN), `${LKRN} is missing: install Debian's ipxe (scripts/ensure-peers.sh)`);
    const fx = linuxFixture();
    mirror = await serveFiles([fx.kernel, fx.initrd]);
    enf = await startEnforcer([], { publicHost: "10.0.2.2", tftp: true });
    embedded = join(mkdtempSync(join(tmpdir(), "enforcer-embedded-")), "embedded.ipxe");
    writeFileSync(embedded, `#!ipxe\ndhcp\nchain http://10.0.2.2:${enf.port}/boot.ipxe\n`);
  });
  after(async () => {
    await enf?.stop();
    await mirror?.close();
  });

  const http = () => `http://10.0.2.2:${enf.port}/boot.ipxe`;
  const boot = (nics: VmNic[], stopOn: string, more: Partial<VmOptions> = {}) =>
    runVm({ bootUrl: http(), mac: nics[0]!.mac, nics, stopOn, timeoutMs: 120_000, ...more });
  const known = async (mac: string) => (await enf.api("GET", `/machines/${mac}`)).status === 200;
  const tail = (s: string) => s.slice(-3000);

  /** What Enforcer recorded: the booting MAC is a machine, the other is not. */
  async function namedBy(booting: string, other: string, output: string, platform = "pcbios") {
    assert.match(output, new RegExp(`Enforcer: ${booting} ${platform}`), tail(output));
    assert.equal(await known(booting), true, "the booting NIC's MAC was not recorded");
    assert.equal(await known(other), false, "the other NIC's MAC was recorded as a machine");
  }

  test("ROM, HTTP, second NIC boots: the armed config for its MAC boots; the first MAC is never seen", async () => {
    const [a, b] = ["52:54:00:5e:01:0a", "52:54:00:5e:01:0b"];
    const id = await armTestLinux(enf, b, "second-nic", `http://10.0.2.2:${mirror.port}`);
    const vm = await boot(
      [
        { mac: a, model: NIC, boots: false },
        { mac: b, model: NIC, boots: true },
      ],
      "ENF-INITRD-UP",
    );
    // iPXE drives both NICs and boots from net1; net0 (a) is there too, so `${net0/mac}` would have named a.
    assert.match(vm.output, new RegExp(`net1: ${b} using virtio-net`), tail(vm.output));
    assert.match(vm.output, /net0: fe80::/, tail(vm.output));
    assert.ok(vm.output.includes("ENF-INITRD-UP"), `the config never booted:\n${tail(vm.output)}`);
    assert.equal((await enf.api<{ state: string }>("GET", `/configs/${id}`)).body.state, "triggered");
    await namedBy(b, a, vm.output);
  });

  test("ROM, HTTP, the reverse order: the first NIC boots and names the machine", async () => {
    const [c, d] = ["52:54:00:5e:02:0c", "52:54:00:5e:02:0d"];
    const vm = await boot(
      [
        { mac: c, model: NIC, boots: true },
        { mac: d, model: NIC, boots: false },
      ],
      "Enforcer: no config here",
    );
    assert.match(vm.output, new RegExp(`net0: ${c} using virtio-net`), tail(vm.output));
    assert.match(vm.output, /net1: fe80::/, tail(vm.output));
    await namedBy(c, d, vm.output);
  });

  test("ROM, boot.ipxe over TFTP, second NIC boots: its MAC names the machine", async () => {
    const [a, b] = ["52:54:00:5e:03:0a", "52:54:00:5e:03:0b"];
    const vm = await boot(
      [
        { mac: a, model: NIC, boots: false },
        { mac: b, model: NIC, boots: true },
      ],
      "Enforcer: no config here",
      { bootUrl: `tftp://10.0.2.2:${enf.tftpPort}/boot.ipxe` },
    );
    assert.match(vm.output, new RegExp(`net1: ${b} using virtio-net`), tail(vm.output));
    assert.match(vm.output, /boot\.ipxe : \d+ bytes \[script\]/, tail(vm.output));
    await namedBy(b, a, vm.output);
  });

  // Under OVMF the ROM's iPXE drives only its own NIC (OVMF's driver has the other), so `${net0/mac}` would
  // pass here too: this one shows `${netX/mac}` holds on UEFI, the cases above show why net0 is wrong.
  test("UEFI (OVMF), ROM, HTTP, second NIC boots: its MAC names the machine", async () => {
    const [a, b] = ["52:54:00:5e:06:0a", "52:54:00:5e:06:0b"];
    const vm = await boot(
      [
        { mac: a, model: NIC, boots: false },
        { mac: b, model: NIC, boots: true },
      ],
      "Enforcer: no config here",
      { uefi: true },
    );
    await namedBy(b, a, vm.output, "efi");
  });

  test("embedded script, `dhcp` fails on the first NIC and succeeds on the second: the second names it", async () => {
    const [a, b] = ["52:54:00:5e:04:0a", "52:54:00:5e:04:0b"];
    const vm = await boot(
      [
        { mac: a, model: NIC, boots: false, unplugged: true },
        { mac: b, model: NIC, boots: true },
      ],
      "Enforcer: no config here",
      { kernel: LKRN, initrd: embedded },
    );
    assert.match(vm.output, new RegExp(`Configuring \\(net0 ${a}\\)[. ]*No configuration`), tail(vm.output));
    await namedBy(b, a, vm.output);
  });

  test("embedded script, the reverse order: `dhcp` succeeds on the first NIC, which names the machine", async () => {
    const [c, d] = ["52:54:00:5e:05:0c", "52:54:00:5e:05:0d"];
    const vm = await boot(
      [
        { mac: c, model: NIC, boots: true },
        { mac: d, model: NIC, boots: false, unplugged: true },
      ],
      "Enforcer: no config here",
      { kernel: LKRN, initrd: embedded },
    );
    await namedBy(c, d, vm.output);
  });
});
