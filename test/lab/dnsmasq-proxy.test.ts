// Scenario 8 of issue 12: dnsmasq's own proxyDHCP beside the site's DHCP server, pointing real firmware at a
// real Enforcer's TFTP in the lab. OVMF's EDK2 PXE client takes the proxy offer, loads snponly.efi from
// Enforcer, iPXE is told boot.ipxe (option 175 tells it apart), the armed config boots a real kernel and
// initrd, which calls completion. Then the trap: a proxy that does not tell iPXE apart makes a loader loop.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startL2Lab, type L2Lab, type LabProcess } from "../support/l2-lab.js";
import { startDnsmasqProxy, startSiteDhcp } from "../support/lab-dnsmasq.js";
import { startLabEnforcer, type LabEnforcer } from "../support/lab-enforcer.js";
import { runLabVm } from "../support/lab-vm.js";
import { linuxFixture } from "../support/linux-fixture.js";
import { armTestLinux } from "../support/test-config.js";
import { until } from "../support/until.js";

const BOOT_MAC = "52:54:00:1a:b1:01";
const LOOP_MAC = "52:54:00:1a:b1:02";
const BIOS_MAC = "52:54:00:1a:b1:03";

/**
 * Enforcer's TFTP transfers of `file` that sent it (the firmware's size probe, aborted after the OACK, is not
 * a fetch). A transfer is logged when it ends: one cut short by the VM's stop ends at its timeout.
 */
function loaderFetches(enf: LabEnforcer, file: string): number {
  return enf
    .logs()
    .split("\n")
    .filter(
      (l) => l.includes(`"file":"${file}"`) && l.includes(`"outcome"`) && !l.includes("aborted-after-oack"),
    ).length;
}

describe(
  "L2 lab: dnsmasq's proxyDHCP beside the site server, a real Enforcer serving the boot",
  { timeout: 300_000 },
  () => {
    let lab: L2Lab;
    let site: LabProcess;
    let enf: LabEnforcer;

    before(async () => {
      lab = await startL2Lab();
      const fx = linuxFixture();
      const root = join(lab.dir, "tftp-root");
      mkdirSync(root);
      copyFileSync(fx.kernel, join(root, "vmlinuz"));
      copyFileSync(fx.initrd, join(root, "initrd.gz"));
      // An IPv4-only site by default; iPXE then waits ~16 s for IPv6 router advertisements (see README).
      site = await startSiteDhcp(lab, { ipv6Router: process.env.ENFORCER_LAB_IPV6_ROUTER === "1" });
      enf = await startLabEnforcer(lab, root);
    });
    after(async () => {
      await enf?.stop();
      await lab?.stop();
    });

    test("UEFI firmware takes the proxy offer, loads the loader over Enforcer's TFTP, iPXE boots the armed config", async () => {
      const proxy = await startDnsmasqProxy(lab, { ipxeBootUrl: `${enf.labUrl}/boot.ipxe` });
      try {
        const id = await armTestLinux(enf, BOOT_MAC, "lab-linux", `${enf.labUrl}/tftp`);
        const vm = await runLabVm(lab, {
          mac: BOOT_MAC,
          firmware: "uefi",
          timeoutMs: 85_000,
          marks: {
            pxe: /Start PXE over IPv4/,
            loader: /NBP file downloaded successfully/,
            ipxe: /iPXE initialising devices/,
            script: /Enforcer: \S+ efi x86_64/,
            kernel: /Linux version/,
            completed: /ENF-COMPLETED/,
          },
        });
        const m = vm.marks;
        console.log(
          `# dnsmasq proxy, UEFI: PXE ${m.pxe} ms, loader loaded ${m.loader} ms, iPXE ${m.ipxe} ms, boot.ipxe ${m.script} ms, ` +
            `power-on to kernel ${m.kernel} ms, completed ${m.completed} ms, VM off ${vm.elapsedMs} ms`,
        );
        assert.ok(vm.output.includes("ENF-COMPLETED"), `completion failed:\n${vm.output.slice(-3000)}`);
        assert.match(
          vm.output,
          new RegExp(`Server IP address is ${lab.enforcerAddress.replace(/\./g, "\\.")}`),
        );
        assert.match(vm.output, /NBP filename is snponly\.efi/);
        assert.match(vm.output, new RegExp(`Filename: ${enf.labUrl}/boot.ipxe`));
        assert.equal((await enf.api<{ state: string }>("GET", `/configs/${id}`)).body.state, "completed");
        // The address came from the site server; the proxy only named the boot file.
        assert.match(site.output(), new RegExp(`DHCPACK\\(eth0\\) 10\\.77\\.\\d+\\.1\\d\\d ${BOOT_MAC}`));
        assert.match(proxy.output(), new RegExp(`PXE\\(eth0\\) ${BOOT_MAC} proxy`));
        assert.equal(loaderFetches(enf, "snponly.efi"), 1, "the loader is fetched once: no loop");
      } finally {
        await proxy.stop();
      }
    });

    test("BIOS: the NIC's iPXE ROM is told boot.ipxe by the proxy (option 175) and boots the armed config", async () => {
      const proxy = await startDnsmasqProxy(lab, { ipxeBootUrl: `${enf.labUrl}/boot.ipxe` });
      try {
        const id = await armTestLinux(enf, BIOS_MAC, "lab-linux-bios", `${enf.labUrl}/tftp`);
        const vm = await runLabVm(lab, {
          mac: BIOS_MAC,
          firmware: "bios",
          timeoutMs: 85_000,
          marks: {
            script: /Enforcer: \S+ pcbios /,
            kernel: /Linux version/,
            completed: /ENF-COMPLETED/,
          },
        });
        const m = vm.marks;
        console.log(
          `# dnsmasq proxy, BIOS iPXE ROM: boot.ipxe ${m.script} ms, power-on to kernel ${m.kernel} ms, ` +
            `completed ${m.completed} ms`,
        );
        assert.ok(
          vm.output.includes("ENF-COMPLETED"),
          `completion failed:\n${vm.output.slice(-3000)}\n${proxy.output()}`,
        );
        assert.match(vm.output, new RegExp(`Filename: ${enf.labUrl}/boot.ipxe`));
        assert.equal((await enf.api<{ state: string }>("GET", `/configs/${id}`)).body.state, "completed");
        assert.match(site.output(), new RegExp(`DHCPACK\\(eth0\\) 10\\.77\\.\\d+\\.1\\d\\d ${BIOS_MAC}`));
        assert.match(proxy.output(), /vendor class: PXEClient:Arch:00000/);
      } finally {
        await proxy.stop();
      }
    });

    test("the trap: a proxy that does not tell iPXE apart hands it the loader again (a loop)", async () => {
      const before = loaderFetches(enf, "snponly.efi");
      const proxy = await startDnsmasqProxy(lab);
      try {
        const vm = await runLabVm(lab, {
          mac: LOOP_MAC,
          firmware: "uefi",
          timeoutMs: 85_000,
          // The firmware's fetch, then iPXE's own: the loop has begun.
          stopWhen: (out) => out.includes("snponly.efi : "),
          marks: { loader: /NBP file downloaded successfully/, again: /snponly\.efi : / },
        });
        console.log(`# loop: loader by EDK2 ${vm.marks.loader} ms, again by iPXE ${vm.marks.again} ms`);
        assert.ok(vm.stopped, `iPXE never fetched the loader again:\n${vm.output.slice(-3000)}`);
        assert.match(vm.output, /iPXE initialising devices[\s\S]*Filename: snponly\.efi/);
        assert.ok(!vm.output.includes("Enforcer:"), "boot.ipxe must never be reached in the loop");
        // The VM is stopped as iPXE starts the second fetch: that transfer is logged at its end.
        await until(
          `a second fetch of snponly.efi in Enforcer's log:\n${enf.logs().slice(-2000)}`,
          async () => (loaderFetches(enf, "snponly.efi") - before >= 2 ? true : undefined),
          30_000,
        );
      } finally {
        await proxy.stop();
      }
    });

    test("tear-down leaves no namespace, bridge, tap or process behind", async () => {
      const pids = [site.child.pid!, enf.child.pid!];
      await enf.stop();
      await lab.stop();
      assert.deepEqual(lab.leftovers(), []);
      for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/);
    });
  },
);
