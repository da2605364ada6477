// Issue 12's proofs 1, 2, 6 and --dhcp-known-only on the L2 lab, with real firmware and Enforcer as the
// proxyDHCP beside the site's DHCP server (which gives addresses only). Four VM boots in all:
// 1. OVMF's own EDK2 PXE client, two NICs, booting from the second (the first is on no network): the proxy
//    offer, ipxe.efi once over Enforcer's TFTP, iPXE told boot.ipxe, the config armed for the second NIC's
//    MAC boots a real kernel and initrd, which calls completion. The first NIC's MAC is never recorded.
// 2. The same VM again, with an EFI disk after the NIC: nothing armed, so the proxy gives EDK2 no loader and
//    OVMF boots the disk (an iPXE that EDK2's PXE loaded never returns to OVMF after `exit`).
// 3. SeaBIOS with the NIC's iPXE ROM, labelled enforcer.dev/loader=undionly.kpxe: the ROM is offered
//    undionly.kpxe, loads it over TFTP once, the chained iPXE is told boot.ipxe and boots the armed config.
// 4. The same BIOS VM again: the config is completed, so it falls through to its local disk.
// And a scripted PXE client (not firmware) with a MAC Enforcer does not know gets nothing (--dhcp-known-only).
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { LOCAL_DISK_MARKER, writeBootDisk } from "../support/boot-disk.js";
import { EFI_LOCAL_DISK_MARKER, writeEfiBootDir } from "../support/efi-boot-disk.js";
import { startL2Lab, type L2Lab, type LabProcess } from "../support/l2-lab.js";
import { startSiteDhcp } from "../support/lab-dnsmasq.js";
import { startLabEnforcer, type LabEnforcer } from "../support/lab-enforcer.js";
import { runLabVm } from "../support/lab-vm.js";
import { linuxFixture } from "../support/linux-fixture.js";
import { armTestLinux } from "../support/test-config.js";

const UEFI_MAC = "52:54:00:1b:c2:02";
const DEAD_MAC = "52:54:00:1b:c2:01";
const BIOS_MAC = "52:54:00:1b:c2:03";
const UEFI_MARKS = {
  pxe: /Start PXE over IPv4/,
  loader: /NBP file downloaded successfully/,
  ipxe: /iPXE initialising devices/,
  script: /Enforcer: \S+ efi x86_64/,
  kernel: /Linux version/,
  completed: /ENF-COMPLETED/,
};
/** OVMF's network options after PXEv4 (PXEv6, HTTPv6) only wait out timeouts on this IPv4 lab. */
const OVMF_NO_IPV6 = [
  "-fw_cfg",
  "name=opt/org.tianocore/IPv6PXESupport,string=n",
  "-fw_cfg",
  "name=opt/org.tianocore/IPv6Support,string=n",
];
const BIOS_MARKS = {
  loader: /undionly\.kpxe\.{3}/,
  script: /Enforcer: \S+ pcbios /,
  kernel: /Linux version/,
  completed: /ENF-COMPLETED/,
  disk: new RegExp(LOCAL_DISK_MARKER),
};

/** Log lines of Enforcer (JSON, one per line). */
function lines(enf: LabEnforcer): string[] {
  return enf.logs().split("\n");
}

/** Completed TFTP transfers of `file`. */
function fetches(enf: LabEnforcer, file: string): number {
  return lines(enf).filter((l) => l.includes(`"file":"${file}"`) && l.includes(`"outcome":"complete"`))
    .length;
}

/** The proxy's log lines for `mac`. */
function proxyLines(enf: LabEnforcer, mac: string): string[] {
  return lines(enf)
    .filter((l) => l.includes("dhcp proxy") && l.includes(mac))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
}

async function metrics(enf: LabEnforcer): Promise<(series: string) => number> {
  const res = await fetch(`${enf.base}/metrics`, { headers: { authorization: `Bearer ${enf.token}` } });
  const text = await res.text();
  return (series) => {
    const line = text.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.split(" ")[1]);
  };
}

const ms = (n: number | undefined) => (n === undefined ? "-" : `${n}`);

describe(
  "L2 lab: real firmware through Enforcer's proxyDHCP (--dhcp proxy --dhcp-known-only) beside the site server",
  { timeout: 600_000 },
  () => {
    let lab: L2Lab;
    let site: LabProcess;
    let enf: LabEnforcer;
    let disk: string;
    let esp: string;

    before(async () => {
      lab = await startL2Lab();
      const fx = linuxFixture();
      const root = join(lab.dir, "tftp-root");
      mkdirSync(root);
      copyFileSync(fx.kernel, join(root, "vmlinuz"));
      copyFileSync(fx.initrd, join(root, "initrd.gz"));
      disk = join(lab.dir, "disk.img");
      writeBootDisk(disk);
      esp = join(lab.dir, "esp");
      mkdirSync(esp);
      writeEfiBootDir(esp);
      site = await startSiteDhcp(lab, { ipv6Router: process.env.ENFORCER_LAB_IPV6_ROUTER === "1" });
      enf = await startLabEnforcer(lab, root, ["--dhcp", "proxy", "--dhcp-known-only"]);
      assert.match(enf.logs(), /dhcp: proxy on 10\.77\.\d+\.0\/24 as 10\.77\.\d+\.2, known machines only/);
    });
    after(async () => {
      await enf?.stop();
      await lab?.stop();
    });

    test("UEFI, two NICs: EDK2 boots the second through the proxy, ipxe.efi once, the config armed for that MAC boots Linux and completes", async () => {
      const id = await armTestLinux(enf, UEFI_MAC, "lab-uefi", `${enf.labUrl}/tftp`);
      const vm = await runLabVm(lab, {
        mac: UEFI_MAC,
        deadNic: DEAD_MAC,
        firmware: "uefi",
        timeoutMs: 150_000,
        marks: UEFI_MARKS,
      });
      const m = vm.marks;
      console.log(
        `# Enforcer proxy, UEFI: PXE ${ms(m.pxe)} ms, loader loaded ${ms(m.loader)} ms, iPXE ${ms(m.ipxe)} ms, ` +
          `boot.ipxe ${ms(m.script)} ms, power-on to kernel ${ms(m.kernel)} ms, completed ${ms(m.completed)} ms`,
      );
      assert.ok(
        vm.output.includes("ENF-COMPLETED"),
        `completion failed:\n${vm.output.slice(-3000)}\n${enf.logs().slice(-3000)}`,
      );
      assert.equal((await enf.api<{ state: string }>("GET", `/configs/${id}`)).body.state, "completed");
      // EDK2 took Enforcer's offer (no option 43) and asked on 4011; iPXE was told the script, not the loader.
      const said = proxyLines(enf, UEFI_MAC);
      assert.ok(said.includes(`dhcp proxy offer ipxe.efi to ${UEFI_MAC} (uefi-pxe)`), said.join("\n"));
      assert.ok(
        said.some((l) => l.includes(`boot.ipxe to ${UEFI_MAC} (ipxe)`)),
        said.join("\n"),
      );
      assert.match(
        vm.output,
        new RegExp(`Server IP address is ${lab.enforcerAddress.replace(/\./g, "\\.")}`),
      );
      assert.equal(fetches(enf, "ipxe.efi"), 1, "the loader is fetched once: no loop");
      // Known by the NIC it booted from: boot.ipxe echoes ${netX/mac}; the first NIC was never seen.
      assert.match(vm.output, new RegExp(`Enforcer: ${UEFI_MAC} efi x86_64`));
      assert.equal((await enf.api("GET", `/machines/${DEAD_MAC}`)).status, 404);
      assert.ok(!enf.logs().includes(DEAD_MAC.replaceAll(":", "-")), "the first NIC's MAC reached Enforcer");
      // The address came from the site server, never from Enforcer.
      assert.match(site.output(), new RegExp(`DHCPACK\\(eth0\\) 10\\.77\\.\\d+\\.1\\d\\d ${UEFI_MAC}`));
    });

    test("UEFI, the next boot: nothing armed, so EDK2 is offered a name that fails at once and boots the local disk itself", async () => {
      const vm = await runLabVm(lab, {
        mac: UEFI_MAC,
        deadNic: DEAD_MAC,
        firmware: "uefi",
        esp,
        timeoutMs: 180_000,
        stopWhen: (out) => out.includes(EFI_LOCAL_DISK_MARKER),
        marks: { ...UEFI_MARKS, refused: /PXE-E23/, disk: new RegExp(EFI_LOCAL_DISK_MARKER) },
        qemuArgs: OVMF_NO_IPV6,
      });
      console.log(
        `# Enforcer proxy, UEFI fall-through: TFTP refused ${ms(vm.marks.refused)} ms, local disk ${ms(vm.marks.disk)} ms`,
      );
      // An iPXE that EDK2's PXE loaded never returns to OVMF after `exit` (docs/dhcp.md, "The UEFI local disk"),
      // so the proxy does not start one: the firmware's own boot manager moves on to the disk.
      assert.ok(
        vm.output.includes(EFI_LOCAL_DISK_MARKER),
        `local disk never booted:\n${vm.output.slice(-3000)}`,
      );
      assert.match(vm.output, /NBP filename is enforcer-local-disk/);
      assert.ok(!vm.output.includes("iPXE initialising"), "the firmware was given iPXE again");
      assert.ok(
        proxyLines(enf, UEFI_MAC).includes(`dhcp proxy offer enforcer-local-disk to ${UEFI_MAC} (uefi-pxe)`),
        proxyLines(enf, UEFI_MAC).join("\n"),
      );
      assert.equal(fetches(enf, "ipxe.efi"), 1, "no loader on the next boot");
    });

    test("BIOS, labelled enforcer.dev/loader=undionly.kpxe: the iPXE ROM chains undionly.kpxe once, which boots the armed config", async () => {
      const id = await armTestLinux(enf, BIOS_MAC, "lab-bios", `${enf.labUrl}/tftp`);
      const patched = await enf.api("PATCH", `/machines/${BIOS_MAC}`, {
        labels: { "enforcer.dev/loader": "undionly.kpxe" },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const vm = await runLabVm(lab, {
        mac: BIOS_MAC,
        firmware: "bios",
        disk,
        timeoutMs: 150_000,
        marks: BIOS_MARKS,
      });
      const m = vm.marks;
      console.log(
        `# Enforcer proxy, BIOS ROM -> undionly.kpxe: loader ${ms(m.loader)} ms, boot.ipxe ${ms(m.script)} ms, ` +
          `power-on to kernel ${ms(m.kernel)} ms, completed ${ms(m.completed)} ms`,
      );
      assert.ok(
        vm.output.includes("ENF-COMPLETED"),
        `completion failed:\n${vm.output.slice(-3000)}\n${enf.logs().slice(-3000)}`,
      );
      assert.equal((await enf.api<{ state: string }>("GET", `/configs/${id}`)).body.state, "completed");
      const said = proxyLines(enf, BIOS_MAC);
      assert.ok(said.includes(`dhcp proxy offer undionly.kpxe to ${BIOS_MAC} (ipxe)`), said.join("\n"));
      assert.ok(
        said.some((l) => l.includes(`boot.ipxe to ${BIOS_MAC} (ipxe)`)),
        said.join("\n"),
      );
      assert.equal(fetches(enf, "undionly.kpxe"), 1, "the ROM chains the loader once: no loop");
    });

    test("BIOS, the next boot: the config is completed, so it falls through to the local disk", async () => {
      const vm = await runLabVm(lab, {
        mac: BIOS_MAC,
        firmware: "bios",
        disk,
        timeoutMs: 120_000,
        marks: BIOS_MARKS,
      });
      console.log(`# Enforcer proxy, BIOS fall-through: local disk ${ms(vm.marks.disk)} ms`);
      assert.ok(vm.output.includes(LOCAL_DISK_MARKER), `local disk never booted:\n${vm.output.slice(-3000)}`);
      assert.ok(!vm.output.includes("Linux version"), "a completed config booted again");
      // Within the window the ROM is taken for a chained iPXE: it gets boot.ipxe straight away.
      assert.ok(fetches(enf, "undionly.kpxe") <= 2);
    });

    test("--dhcp-known-only: a PXE client Enforcer does not know (scripted, not firmware) gets no answer, and /metrics says why; once registered, it does", async () => {
      const host = lab.addHost("pxe");
      // No address, like firmware; its broadcast leaves by this route (Node cannot name the interface).
      assert.equal(
        await lab.spawnIn(host, "ip", "ip", ["route", "add", "255.255.255.255/32", "dev", "eth0"]).exited,
        0,
      );
      const mac = "52:54:00:1b:c2:99";
      const ask = async () => {
        const client = lab.spawnIn(host, "scripted-pxe", "env", [
          `ENFORCER_DHCP_CLIENT_MAC=${mac.replaceAll(":", "")}`,
          process.execPath,
          resolve("dist/test/support/scripted-dhcp-client.js"),
          "uefi-x64",
          "discover",
          "255.255.255.255",
          "67",
          "2000",
        ]);
        assert.equal(await client.exited, 0, client.output());
        const out = JSON.parse(client.output().trim().split("\n").at(-1)!) as {
          replies: { serverId?: string; bootfileName?: string }[];
        };
        return out.replies;
      };
      const before = await metrics(enf);
      const unknown = await ask();
      assert.ok(!unknown.some((r) => r.serverId === lab.enforcerAddress), JSON.stringify(unknown));
      const after = await metrics(enf);
      const series = 'enforcer_dhcp_unanswered_total{reason="unknown-machine"}';
      assert.equal(after(series) - before(series), 1);
      // The same client once the operator has added the machine: answered (the silence above was the rule).
      assert.equal((await enf.api("POST", "/machines", { mac })).status, 201);
      const known = await ask();
      const offer = known.find((r) => r.serverId === lab.enforcerAddress);
      // Known, with nothing armed: UEFI firmware is sent to its disk (a name that fails at once), not to iPXE.
      assert.equal(offer?.bootfileName, "enforcer-local-disk", JSON.stringify(known));
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
