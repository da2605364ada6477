import { spawnSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { LAB_TAP, type L2Lab } from "./l2-lab.js";
import { cleanSerial } from "./qemu.js";

/** A VM on the lab's tap: which firmware boots it, its NIC's MAC, and when to stop it. */
export interface LabVmOptions {
  mac: string;
  /**
   * `uefi`: OVMF with its own EDK2 PXE client (the NIC's option ROM removed: `romfile=`), as on a real
   * UEFI server. `bios`: SeaBIOS with the NIC's iPXE ROM from ipxe-qemu (Debian's SeaBIOS has no PXE).
   */
  firmware: "uefi" | "bios";
  timeoutMs: number;
  /** Stop the VM as soon as this is true of its serial output so far. */
  stopWhen?: (output: string) => boolean;
  /** Named patterns whose first appearance in the serial output is timed (ms after QEMU started). */
  marks?: Record<string, RegExp>;
  /**
   * A first NIC (lowest PCI slot: iPXE's net0) with this MAC on a tap that is on no bridge, so it can never
   * boot; the lab's NIC then comes second and is the boot device (bootindex 1).
   */
  deadNic?: string;
  /** BIOS only: a raw disk image as the first hard disk (drive 0x80), for the fall-through to the local disk. */
  disk?: string;
  /**
   * UEFI only: a directory QEMU serves as a read-only FAT disk (vvfat) with bootindex 2, after the lab's NIC,
   * for the fall-through to the local disk (test/support/efi-boot-disk.ts writes one).
   */
  esp?: string;
  /** More QEMU arguments (e.g. `-fw_cfg` files that steer OVMF). */
  qemuArgs?: string[];
}

/** What the VM printed (ANSI escapes removed), how it ended, and when each mark first appeared. */
export interface LabVmResult {
  output: string;
  exitCode: number | null;
  timedOut: boolean;
  stopped: boolean;
  marks: Record<string, number>;
  elapsedMs: number;
}

// TCG, as in test/qemu: /dev/kvm exists on this machine but a KVM guest hangs before its first line.
// ENFORCER_LAB_ACCEL=kvm uses KVM where it works.
const ACCEL = process.env.ENFORCER_LAB_ACCEL ?? "tcg";
/** The tap of a VM's dead first NIC: in the bridge namespace, on no bridge. */
const DEAD_TAP = "tapdead";

/**
 * Runs QEMU in the bridge namespace on the lab's tap, until the guest powers off, nothing boots,
 * `stopWhen` holds or the timeout.
 */
export async function runLabVm(lab: L2Lab, o: LabVmOptions): Promise<LabVmResult> {
  // prettier-ignore
  const args = [
    "-accel", ACCEL, "-m", "512", "-no-reboot", "-display", "none", "-monitor", "none", "-serial", "stdio",
    "-machine", "graphics=off", "-boot", "order=n,strict=on,reboot-timeout=0",
    "-netdev", `tap,id=n0,ifname=${LAB_TAP},script=no,downscript=no`,
  ];
  const rom = o.firmware === "uefi" ? ",romfile=" : "";
  if (o.deadNic) {
    // Created once per lab; deleted with the bridge namespace. Up, so the firmware sees a link and tries it.
    const has = spawnSync("ip", ["-n", lab.ns.bridge, "link", "show", DEAD_TAP]).status === 0;
    if (!has) {
      spawnSync("ip", ["-n", lab.ns.bridge, "tuntap", "add", "dev", DEAD_TAP, "mode", "tap"]);
      spawnSync("ip", ["-n", lab.ns.bridge, "link", "set", DEAD_TAP, "up"]);
    }
    args.push("-netdev", `tap,id=n9,ifname=${DEAD_TAP},script=no,downscript=no`);
    args.push("-device", `virtio-net-pci,netdev=n9,mac=${o.deadNic}${rom}`);
  }
  if (o.disk) args.push("-drive", `file=${o.disk},format=raw,if=ide`);
  if (o.firmware === "uefi") {
    // Each run gets fresh variables: boot order and options from an earlier run must not leak in.
    const vars = join(lab.dir, `ovmf-vars-${o.mac.replace(/:/g, "")}.fd`);
    copyFileSync("/usr/share/OVMF/OVMF_VARS_4M.fd", vars);
    args.push("-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd");
    args.push("-drive", `if=pflash,format=raw,file=${vars}`);
    const first = o.deadNic || o.esp ? ",bootindex=1" : "";
    args.push("-device", `virtio-net-pci,netdev=n0,mac=${o.mac},romfile=${first}`);
    if (o.esp) {
      args.push("-drive", `file=fat:${o.esp},format=raw,if=none,id=esp,readonly=on`);
      args.push("-device", "virtio-blk-pci,drive=esp,bootindex=2");
    }
  } else {
    args.push("-device", `virtio-net-pci,netdev=n0,mac=${o.mac},bootindex=1`);
  }
  args.push(...(o.qemuArgs ?? []));
  const started = Date.now();
  const vm = lab.spawnIn(lab.ns.bridge, `qemu-${o.mac}`, "qemu-system-x86_64", args);
  const marks: Record<string, number> = {};
  let stopped = false;
  let timedOut = false;
  const onData = () => {
    const out = cleanSerial(vm.output());
    for (const [name, re] of Object.entries(o.marks ?? {})) {
      if (marks[name] === undefined && re.test(out)) marks[name] = Date.now() - started;
    }
    if (!stopped && o.stopWhen?.(out)) {
      stopped = true;
      void vm.stop(1000);
    }
  };
  vm.child.stdout!.on("data", onData);
  vm.child.stderr!.on("data", onData);
  const timer = setTimeout(() => {
    timedOut = true;
    void vm.stop(1000);
  }, o.timeoutMs);
  const exitCode = await vm.exited;
  clearTimeout(timer);
  return {
    output: cleanSerial(vm.output()),
    exitCode,
    timedOut,
    stopped,
    marks,
    elapsedMs: Date.now() - started,
  };
}
