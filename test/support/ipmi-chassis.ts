// A QEMU VM as the "chassis" of ipmi_sim. ipmi_sim runs its `chassis_control` program for every power,
// reset and boot device request (openipmi lanserv/bmc_chassis.c); the ipmi piece's bridge
// (src/power/testing/ipmi-chassis-bridge.ts) relays those calls to an IpmiChassis in the test's own process,
// so the VM stays a child of the test, killed by PID.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IpmiBootDevice, IpmiChassis } from "../../src/power/testing/ipmi-sim.js";
import { writeBootDisk } from "./boot-disk.js";
import { cleanSerial } from "./qemu.js";

/** The VM behind the chassis: who it is and where its network boot goes. */
export interface ChassisVm {
  mac: string;
  /** The boot file slirp's DHCP offers, e.g. `http://10.0.2.2:PORT/boot.ipxe`. */
  bootUrl: string;
  uuid?: string;
  serial?: string;
}

/** One start of the VM by the chassis (power on, reset, the on of a cycle) and what its firmware boots. */
export interface ChassisBoot {
  /** `pxe` when a `chassis bootdev pxe` was pending (used up by this boot), else `disk`. */
  from: "pxe" | "disk";
  /** Offset of this boot's first byte in `output()`. */
  at: number;
}

/**
 * A QEMU VM whose firmware boots its disk (LOCAL_DISK_MARKER, then halts) unless `chassis bootdev pxe` was set,
 * then the network, for the next boot only. `set power 1` starts QEMU, `set power 0` kills it by PID, a reset
 * kills and starts it again; a reboot from inside the guest stays in the same QEMU and boots the disk; a
 * poweroff from inside ends QEMU and the chassis reads off. Pass it as startIpmiSim's `chassis`.
 */
export class QemuChassis implements IpmiChassis {
  /** Every start of the VM, in order. */
  readonly boots: ChassisBoot[] = [];
  /** The PID of every QEMU the chassis started, to prove none outlives the test. */
  readonly pids: number[] = [];
  private vm: ChildProcess | undefined;
  private serialOut = "";
  private pxePending = false;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly vmSpec: ChassisVm,
    private readonly dir: string,
    private readonly disk: string,
  ) {}

  /** Writes the VM's disk; the VM is off. Fails at once, in one line, when QEMU is not installed. */
  static start(vm: ChassisVm): QemuChassis {
    if (spawnSync("qemu-system-x86_64", ["--version"]).error)
      throw new Error("qemu-system-x86_64 is not installed: apt-get install qemu-system-x86 ipxe-qemu");
    const dir = mkdtempSync(join(tmpdir(), "enforcer-chassis-"));
    const disk = join(dir, "disk.img");
    writeBootDisk(disk, { halt: true });
    return new QemuChassis(vm, dir, disk);
  }

  /** Whether QEMU runs. */
  get on(): boolean {
    return this.vm !== undefined;
  }

  /** Whether a `chassis bootdev pxe` waits for the next boot. */
  get pxeNext(): boolean {
    return this.pxePending;
  }

  /** Everything the VM printed on its serial console, all boots, ANSI escapes removed. */
  output(): string {
    return cleanSerial(this.serialOut);
  }

  /** Waits until the serial output after offset `from` contains `marker`; fails after `ms` with the tail. */
  async waitFor(marker: string, from: number, ms: number): Promise<number> {
    const end = Date.now() + ms;
    for (;;) {
      const out = this.output();
      const i = out.indexOf(marker, from);
      if (i >= 0) return i;
      if (Date.now() > end)
        throw new Error(
          `the VM did not print ${marker} within ${ms} ms; its last output:\n${out.slice(-2500)}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The QEMUs started by this chassis that still run (none after `stop()`). */
  strays(): number[] {
    return this.pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
  }

  /** Kills the VM (by PID) and removes its disk. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** IpmiChassis: whether QEMU runs. */
  isOn(): boolean {
    return this.on;
  }

  /** IpmiChassis: on starts QEMU (unless it runs), off kills it and waits for its exit. */
  setPower(on: boolean): Promise<void> {
    return this.serial(async () => {
      if (!on) await this.kill();
      else if (!this.on) this.boot();
    });
  }

  /** IpmiChassis: a hard reset, a new QEMU; refused when off, as BMCs answer "not in present state". */
  reset(): Promise<void> {
    return this.serial(async () => {
      if (!this.on) throw new Error("the chassis is off: nothing to reset");
      await this.kill();
      this.boot();
    });
  }

  /** IpmiChassis: `pxe` makes the next boot a network one; anything else clears it. */
  setBootDevice(device: IpmiBootDevice): void {
    this.pxePending = device === "pxe";
  }

  /** IpmiChassis: `pxe` while a network boot is pending, else `default`. */
  bootDevice(): IpmiBootDevice {
    return this.pxePending ? "pxe" : "default";
  }

  // One change at a time, in arrival order: the bridge serves calls concurrently, and a reset must not
  // interleave with a power off.
  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private boot(): void {
    const from = this.pxePending ? "pxe" : "disk";
    this.pxePending = false;
    this.boots.push({ from, at: this.output().length });
    const v = this.vmSpec;
    // No -no-reboot: a reboot from inside the guest resets in place and `once=n` falls back to the disk,
    // like a BMC's one-time boot override; a poweroff from inside ends QEMU, which the chassis reads as off.
    // prettier-ignore
    const args = [
      "-accel", "tcg", "-m", "512", "-display", "none", "-monitor", "none", "-serial", "stdio",
      "-machine", "graphics=off", "-boot", from === "pxe" ? "order=c,once=n" : "order=c",
      "-smbios", `type=1,uuid=${v.uuid ?? "11111111-2222-3333-4444-555555555555"},serial=${v.serial ?? "SN-TEST-1"}`,
      "-netdev", `user,id=n0,bootfile=${v.bootUrl}`, "-device", `virtio-net-pci,netdev=n0,mac=${v.mac}`,
      "-drive", `file=${this.disk},format=raw,if=ide`,
    ];
    const vm = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "pipe", "pipe"] });
    const onData = (d: Buffer) => (this.serialOut += d.toString("latin1"));
    vm.stdout.on("data", onData);
    vm.stderr.on("data", onData);
    vm.on("error", (e) => {
      this.serialOut += `\nchassis: qemu failed to start: ${e.message}\n`;
      if (this.vm === vm) this.vm = undefined;
    });
    if (vm.pid !== undefined) this.pids.push(vm.pid);
    vm.once("exit", () => {
      if (this.vm === vm) this.vm = undefined;
    });
    this.vm = vm;
  }

  private async kill(): Promise<void> {
    const vm = this.vm;
    if (!vm) return;
    this.vm = undefined;
    if (vm.exitCode === null && vm.signalCode === null) {
      const gone = new Promise((res) => vm.once("exit", res));
      vm.kill("SIGKILL");
      await gone;
    }
  }
}
