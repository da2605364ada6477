// A QEMU VM as the "chassis" of ipmi_sim. ipmi_sim runs its `chassis_control` program for every power,
// reset and boot device request (`<prog> <dev> get power`, `<prog> <dev> set power 1`, `set reset 1`,
// `set boot pxe`; openipmi lanserv/bmc_chassis.c); ours is a two-line shell script that hands its arguments to
// this process over loopback HTTP with curl, so the VM stays a child of the test, killed by PID.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
 * poweroff from inside ends QEMU and the chassis reads off. Give `controlCommand` to ipmi_sim's
 * `chassis_control` line.
 */
export class QemuChassis {
  /** The `chassis_control` command line for ipmi_sim's lan.conf. */
  readonly controlCommand: string;
  /** Every request ipmi_sim made, in order (`get power`, `set boot pxe`…). */
  readonly requests: string[] = [];
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
    private readonly server: Server,
    private readonly disk: string,
  ) {
    const port = (server.address() as { port: number }).port;
    const prog = join(dir, "chassis-control");
    // curl -f turns our 500 into a failing exit: ipmi_sim then answers the IPMI request with an error.
    writeFileSync(
      prog,
      `#!/bin/sh\nexec curl -sSf --max-time 20 --data-binary "$*" http://127.0.0.1:${port}/chassis\n`,
    );
    chmodSync(prog, 0o755);
    this.controlCommand = `${prog} 0x20`;
  }

  /** Writes the VM's disk and listens for ipmi_sim's requests; the VM is off. */
  static async start(vm: ChassisVm): Promise<QemuChassis> {
    const dir = mkdtempSync(join(tmpdir(), "enforcer-chassis-"));
    const disk = join(dir, "disk.img");
    writeBootDisk(disk, { halt: true });
    const server = createServer();
    await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
    const chassis = new QemuChassis(vm, dir, server, disk);
    server.on("request", (req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        chassis.handle(body).then(
          (answer) => res.end(answer),
          (err: Error) => {
            res.statusCode = 500;
            res.end(err.message);
          },
        );
      });
    });
    return chassis;
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

  /** Kills the VM (by PID) and stops listening; removes the disk. */
  async stop(): Promise<void> {
    await this.kill();
    await new Promise<void>((res) => this.server.close(() => res()));
    this.server.closeAllConnections();
    rmSync(this.dir, { recursive: true, force: true });
  }

  // One request at a time, in arrival order: a reset must not interleave with a power off.
  private handle(body: string): Promise<string> {
    const run = this.chain.then(() => this.apply(body));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async apply(body: string): Promise<string> {
    const [, op, ...args] = body.trim().split(/\s+/); // the device (0x20) first
    this.requests.push([op, ...args].join(" "));
    if (op === "get")
      return args
        .map((p) => `${p}:${p === "power" ? Number(this.on) : this.pxePending ? "pxe" : "none"}\n`)
        .join("");
    if (op !== "set") throw new Error(`unknown operation ${op}`);
    for (let i = 0; i + 1 < args.length; i += 2) {
      const [parm, val] = [args[i], args[i + 1]];
      if (parm === "power" && val === "1" && !this.on) this.boot();
      else if (parm === "power" && val === "0") await this.kill();
      else if (parm === "reset") {
        if (!this.on) throw new Error("the chassis is off: nothing to reset");
        await this.kill();
        this.boot();
      } else if (parm === "boot") this.pxePending = val === "pxe";
      else if (parm !== "power" && parm !== "identify") throw new Error(`unknown parameter ${parm}`);
    }
    return "";
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
