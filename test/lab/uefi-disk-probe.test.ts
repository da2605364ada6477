// TEMPORARY probe: OVMF's own PXE loads ipxe.efi via Enforcer's proxy; nothing armed; does the ESP after the NIC boot?
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EFI_LOCAL_DISK_MARKER, writeEfiBootDir } from "../support/efi-boot-disk.js";
import { startL2Lab, type L2Lab } from "../support/l2-lab.js";
import { startSiteDhcp } from "../support/lab-dnsmasq.js";
import { startLabEnforcer, type LabEnforcer } from "../support/lab-enforcer.js";
import { runLabVm } from "../support/lab-vm.js";

const MAC = "52:54:00:1b:c3:02";
const EXTRA = (process.env.PROBE_QEMU ?? "").split(" ").filter(Boolean);
const OUT = process.env.PROBE_OUT ?? "/tmp/s13/uefi/probe";

describe("probe", { timeout: 900_000 }, () => {
  let lab: L2Lab;
  let enf: LabEnforcer;
  let esp: string;
  before(async () => {
    lab = await startL2Lab();
    const root = join(lab.dir, "tftp-root");
    mkdirSync(root);
    esp = join(lab.dir, "esp");
    mkdirSync(esp);
    writeEfiBootDir(esp);
    await startSiteDhcp(lab);
    enf = await startLabEnforcer(lab, root, ["--dhcp", "proxy", "--dhcp-known-only", ...(process.env.PROBE_ENF ?? "").split(" ").filter(Boolean)]);
  });
  after(async () => {
    await enf?.stop();
    await lab?.stop();
  });
  test("next boot", async () => {
    if (!process.env.PROBE_UNKNOWN) assert.equal((await enf.api("POST", "/machines", { mac: MAC })).status, 201);
    const dbg = join(lab.dir, "ovmf.log");
    const vm = await runLabVm(lab, {
      mac: MAC,
      firmware: "uefi",
      esp,
      timeoutMs: Number(process.env.PROBE_MS ?? 180_000),
      stopWhen: (o) => o.includes(EFI_LOCAL_DISK_MARKER),
      marks: { e16: /PXE-E16/, http4: /HTTP Boot over IPv4/, http4fail: /failed to load Boot0003/, http6: /HTTP Boot over IPv6/, pxe: /Start PXE over IPv4/, script: /Enforcer: \S+ efi/, exit: /booting the local disk/, disk: new RegExp(EFI_LOCAL_DISK_MARKER) },
      qemuArgs: ["-debugcon", `file:${dbg}`, "-global", "isa-debugcon.iobase=0x402", "-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=n", ...EXTRA],
    });
    writeFileSync(`${OUT}-serial.txt`, vm.output);
    writeFileSync(`${OUT}-enf.txt`, enf.logs());
    if (existsSync(dbg)) writeFileSync(`${OUT}-ovmf.txt`, readFileSync(dbg));
    console.log(JSON.stringify({ marks: vm.marks, timedOut: vm.timedOut, stopped: vm.stopped, exit: vm.exitCode, ms: vm.elapsedMs }));
  });
});
