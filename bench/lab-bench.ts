// The lab bench (issue 12, proof 8): the same L2 lab, the same UEFI VM firmware (OVMF's EDK2 PXE client), the
// same loader (snponly.efi) and armed config, once with dnsmasq's proxyDHCP and once with Enforcer's, in one
// run: power-on to kernel and to completion for each. Needs root, QEMU and OVMF (the lab's peers).
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { startL2Lab, type L2Lab } from "../test/support/l2-lab.js";
import { startDnsmasqProxy, startSiteDhcp } from "../test/support/lab-dnsmasq.js";
import { startLabEnforcer, type LabEnforcer } from "../test/support/lab-enforcer.js";
import { runLabVm, type LabVmResult } from "../test/support/lab-vm.js";
import { linuxFixture } from "../test/support/linux-fixture.js";
import { armTestLinux } from "../test/support/test-config.js";
import type { Row } from "./boot-bench.js";

const DNSMASQ_MAC = "52:54:00:1c:d3:01";
const ENFORCER_MAC = "52:54:00:1c:d3:02";

/** Boots the UEFI VM for `mac` (armed by the caller) and answers its marks. */
async function boot(lab: L2Lab, mac: string): Promise<LabVmResult> {
  const vm = await runLabVm(lab, {
    mac,
    firmware: "uefi",
    timeoutMs: 150_000,
    marks: { kernel: /Linux version/, completed: /ENF-COMPLETED/ },
  });
  if (vm.marks.completed === undefined)
    throw new Error(`lab bench: ${mac} did not complete:\n${vm.output.slice(-2000)}`);
  return vm;
}

/** What the lab bench measured: rows (Enforcer against dnsmasq's proxy) and how the lab was set up. */
export interface LabBench {
  rows: Row[];
  notes: { ipv6RouterAdvertisements: boolean; accel: string };
}

/** Runs the two boots in one lab, dnsmasq's proxy first, and answers the rows. */
export async function labBench(): Promise<LabBench> {
  const ipv6 = process.env.ENFORCER_LAB_IPV6_ROUTER === "1";
  const lab = await startL2Lab();
  let enf: LabEnforcer | undefined;
  try {
    const fx = linuxFixture();
    const root = join(lab.dir, "tftp-root");
    mkdirSync(root);
    copyFileSync(fx.kernel, join(root, "vmlinuz"));
    copyFileSync(fx.initrd, join(root, "initrd.gz"));
    await startSiteDhcp(lab, { ipv6Router: ipv6 });

    enf = await startLabEnforcer(lab, root);
    const proxy = await startDnsmasqProxy(lab, { ipxeBootUrl: `${enf.labUrl}/boot.ipxe` });
    await armTestLinux(enf, DNSMASQ_MAC, "bench-dnsmasq", `${enf.labUrl}/tftp`);
    const viaDnsmasq = await boot(lab, DNSMASQ_MAC);
    await proxy.stop();
    await enf.stop();

    // The same Enforcer (same data), now answering DHCP itself, and the same loader as dnsmasq offered.
    enf = await startLabEnforcer(lab, root, ["--dhcp", "proxy"]);
    await armTestLinux(enf, ENFORCER_MAC, "bench-enforcer", `${enf.labUrl}/tftp`);
    const labelled = await enf.api("PATCH", `/machines/${ENFORCER_MAC}`, {
      labels: { "enforcer.dev/loader": "snponly.efi" },
    });
    if (labelled.status !== 200) throw new Error(`lab bench: label: ${JSON.stringify(labelled.body)}`);
    const viaEnforcer = await boot(lab, ENFORCER_MAC);
    return {
      rows: [
        {
          workload: "UEFI PXE power-on to kernel (TCG)",
          enforcer: viaEnforcer.marks.kernel!,
          baseline: viaDnsmasq.marks.kernel!,
          unit: "ms",
        },
        {
          workload: "UEFI PXE power-on to completion (TCG)",
          enforcer: viaEnforcer.marks.completed!,
          baseline: viaDnsmasq.marks.completed!,
          unit: "ms",
        },
      ],
      notes: { ipv6RouterAdvertisements: ipv6, accel: process.env.ENFORCER_LAB_ACCEL ?? "tcg" },
    };
  } finally {
    await enf?.stop();
    await lab.stop();
  }
}
