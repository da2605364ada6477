// The lab's site DHCP server is boot-agnostic: real firmware on the lab gets an address offer and nothing to
// boot. UEFI: OVMF's own EDK2 PXE client. BIOS: the NIC's iPXE ROM under SeaBIOS.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startL2Lab, type L2Lab, type LabProcess } from "../support/l2-lab.js";
import { startSiteDhcp } from "../support/lab-dnsmasq.js";
import { runLabVm } from "../support/lab-vm.js";

const UEFI_MAC = "52:54:00:1a:b0:01";
const BIOS_MAC = "52:54:00:1a:b0:02";

describe("L2 lab baseline: a site DHCP server that knows nothing about booting", { timeout: 200_000 }, () => {
  let lab: L2Lab;
  let site: LabProcess;

  before(async () => {
    lab = await startL2Lab();
    site = await startSiteDhcp(lab);
  });
  after(() => lab?.stop());

  test("OVMF's EDK2 PXE client is offered an address by the site server, finds no boot file and gives up", async () => {
    const vm = await runLabVm(lab, {
      mac: UEFI_MAC,
      firmware: "uefi",
      timeoutMs: 100_000,
      // After IPv4 PXE fails EDK2 tries IPv6 for a long while: that part proves nothing here.
      stopWhen: (out) => out.includes("Start PXE over IPv6"),
      marks: { pxe: /Start PXE over IPv4/, failed: /PXE-E16/ },
    });
    console.log(
      `# baseline UEFI: PXE start ${vm.marks.pxe} ms, PXE-E16 ${vm.marks.failed} ms after power-on`,
    );
    assert.ok(!vm.timedOut, `the VM never got past IPv4 PXE:\n${vm.output.slice(-2000)}`);
    assert.match(vm.output, /Start PXE over IPv4/);
    assert.match(vm.output, /PXE-E16: No valid offer received/);
    assert.ok(!vm.output.includes("NBP"), "no boot program may be named or downloaded");
    const log = site.output();
    assert.match(log, new RegExp(`DHCPDISCOVER\\(eth0\\) ${UEFI_MAC}`));
    assert.match(
      log,
      new RegExp(`DHCPOFFER\\(eth0\\) ${lab.net.replace(/\./g, "\\.")}\\.1\\d\\d ${UEFI_MAC}`),
    );
    assert.match(log, /vendor class: PXEClient:Arch:00007:UNDI:003000/);
  });

  test("the NIC's iPXE ROM (BIOS) takes an address from the site server and has nothing to boot", async () => {
    const vm = await runLabVm(lab, {
      mac: BIOS_MAC,
      firmware: "bios",
      timeoutMs: 80_000,
      marks: { address: /net0: 10\.77\.\d+\.1\d\d\//, nothing: /No more network devices|Nothing to boot/ },
    });
    console.log(
      `# baseline BIOS: address ${vm.marks.address} ms, gave up ${vm.marks.nothing} ms after power-on`,
    );
    assert.ok(!vm.timedOut, `the VM did not end:\n${vm.output.slice(-2000)}`);
    assert.match(
      vm.output,
      new RegExp(
        `net0: ${lab.net.replace(/\./g, "\\.")}\\.1\\d\\d/255\\.255\\.255\\.0 gw ${lab.siteAddress}`,
      ),
    );
    assert.match(vm.output, /No more network devices|Nothing to boot/);
    assert.ok(!vm.output.includes("Filename:"), vm.output.slice(-1500));
    assert.match(site.output(), new RegExp(`DHCPACK\\(eth0\\) 10\\.77\\.\\d+\\.1\\d\\d ${BIOS_MAC}`));
  });

  test("tear-down leaves no namespace, bridge, tap or process behind", async () => {
    const pids = [site.child.pid!];
    await lab.stop();
    assert.deepEqual(lab.leftovers(), []);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});
