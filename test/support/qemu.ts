import { spawn } from "node:child_process";

/**
 * One NIC of a VM with several: its MAC and QEMU model; `boots` gives it bootindex=1 and a user-mode network
 * that offers the boot file, otherwise it has no option ROM and its network offers no boot file, or with
 * `unplugged` no network at all (DHCP on it times out).
 */
export interface VmNic {
  mac: string;
  model: string;
  boots: boolean;
  unplugged?: boolean;
}

/** One VM run: the machine's identity, how it boots, and when to give up. */
export interface VmOptions {
  bootUrl: string;
  mac: string;
  /** NICs in PCI order, instead of the single virtio-net NIC with `mac`. */
  nics?: VmNic[];
  /** A kernel QEMU loads instead of booting from the network (`ipxe.lkrn` runs `initrd` as its script). */
  kernel?: string;
  initrd?: string;
  uuid?: string;
  serial?: string;
  uefi?: boolean;
  disk?: string;
  /** UEFI: a directory QEMU serves as a read-only FAT disk (vvfat), the boot option after the NIC. */
  esp?: string;
  timeoutMs?: number;
  /** Stop the VM as soon as the output contains this (when the rest of the run does not matter). */
  stopOn?: string;
}

/** What a VM printed on its serial console (ANSI escapes removed) and how it ended. */
export interface VmResult {
  output: string;
  exitCode: number | null;
  timedOut: boolean;
}

/**
 * Runs iPXE in QEMU (TCG, user-mode network, NIC ROM from ipxe-qemu) until the guest exits, resets or the
 * timeout passes. The guest reaches the host's 127.0.0.1 as 10.0.2.2.
 */
export function runVm(o: VmOptions): Promise<VmResult> {
  // prettier-ignore
  const args = [
    "-accel", "tcg", "-m", "512", "-no-reboot", "-display", "none", "-monitor", "none", "-serial", "stdio",
    "-machine", "graphics=off",
    "-boot", "order=n,strict=on,reboot-timeout=0",
    "-smbios", `type=1,uuid=${o.uuid ?? "11111111-2222-3333-4444-555555555555"},serial=${o.serial ?? "SN-TEST-1"}`,
  ];
  const nics = o.nics ?? [{ mac: o.mac, model: "virtio-net-pci", boots: true }];
  nics.forEach((n, i) => {
    if (!n.unplugged) args.push("-netdev", `user,id=n${i}${n.boots ? `,bootfile=${o.bootUrl}` : ""}`);
    const netdev = n.unplugged ? "" : `netdev=n${i},`;
    args.push("-device", `${n.model},${netdev}mac=${n.mac},${n.boots ? "bootindex=1" : "romfile="}`);
  });
  if (o.kernel) args.push("-kernel", o.kernel);
  if (o.initrd) args.push("-initrd", o.initrd);
  if (o.uefi) args.push("-bios", "/usr/share/ovmf/OVMF.fd");
  if (o.disk) args.push("-drive", `file=${o.disk},format=raw,if=ide`);
  if (o.esp) {
    args.push("-drive", `file=fat:${o.esp},format=raw,if=none,id=esp,readonly=on`);
    args.push("-device", "virtio-blk-pci,drive=esp,bootindex=2");
    // OVMF lists PXEv4, PXEv6, HTTPv4 and HTTPv6 for the NIC before the disk; PXEv6 only waits out timeouts.
    args.push("-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=n");
  }
  return new Promise((resolve, reject) => {
    const vm = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let timedOut = false;
    const onData = (d: Buffer) => {
      output += d.toString("latin1");
      if (o.stopOn && cleanSerial(output).includes(o.stopOn)) vm.kill("SIGTERM");
    };
    vm.stdout.on("data", onData);
    vm.stderr.on("data", onData);
    const timer = setTimeout(() => {
      timedOut = true;
      vm.kill("SIGKILL");
    }, o.timeoutMs ?? 120_000);
    vm.on("error", reject);
    vm.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ output: cleanSerial(output), exitCode: code, timedOut });
    });
  });
}

/** Serial output without ANSI escapes and carriage returns. */
export function cleanSerial(s: string): string {
  return s
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
    .replace(/\x1b[()][A-Z0-9]/g, "")
    .replace(/\r/g, "");
}
