import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  memoryChassis,
  startChassisBridge,
  type ChassisBridge,
  type IpmiBootDevice,
  type IpmiChassis,
} from "./ipmi-chassis-bridge.js";

export {
  memoryChassis,
  type IpmiBootDevice,
  type IpmiChassis,
  type MemoryChassis,
} from "./ipmi-chassis-bridge.js";

/** What startIpmiSim needs: the BMC's one admin user and, optionally, the machine behind it. */
export interface IpmiSimOptions {
  /** The BMC user (printable ASCII, no `"`, at most 16 bytes). */
  username: string;
  /** Its password (printable ASCII, no `"`, at most 20 bytes). */
  password: string;
  /** The machine the chassis commands drive; default memoryChassis() (off, boot device `default`). */
  chassis?: IpmiChassis;
}

/** The boot flags of one `chassis bootdev` (IPMI Set System Boot Options, parameter 5) as the BMC received them. */
export interface IpmiBootFlags {
  device: IpmiBootDevice | "other";
  /** `options=efiboot`: the next boot is a UEFI one. */
  efi: boolean;
  /** `options=persistent`: every boot, not only the next. */
  persistent: boolean;
}

/** A running ipmi_sim: where it listens, what its chassis heard, and how to stop it. */
export interface IpmiSim {
  /** Its UDP port on 127.0.0.1. */
  port: number;
  /** `127.0.0.1:<port>`, as a power target's address. */
  address: string;
  chassis: IpmiChassis;
  /** Each chassis control call ipmi_sim made (`get power`, `set power 1`, `set boot pxe`), oldest first. */
  calls(): readonly string[];
  /**
   * Each boot flags write it received, oldest first (read from its message log: the chassis never sees the
   * EFI bit). The log comes through a pipe: one may show a moment after ipmitool's answer, so wait for it.
   */
  bootFlags(): readonly IpmiBootFlags[];
  /** The simulator's process id. */
  pid: number;
  /** Stops the simulator and its bridge and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

/** The line a test fails with when ipmi_sim is not installed. */
export const IPMI_SIM_MISSING =
  "ipmi_sim is not installed: apt-get install -y openipmi ipmitool (or bash scripts/ensure-peers.sh)";

/**
 * Starts Debian's ipmi_sim on 127.0.0.1 on a free UDP port, with one admin user and `o.chassis` behind its
 * chassis commands (power, reset, boot device: see IpmiChassis). It runs in a temporary directory with its
 * own lan.conf, command file and state, removed by stop(). Its stdin is a pipe we hold: ipmi_sim exits when
 * it closes, so it does not outlive a test process that dies.
 */
export async function startIpmiSim(o: IpmiSimOptions): Promise<IpmiSim> {
  for (const [what, v, max] of [
    ["username", o.username, 16],
    ["password", o.password, 20],
  ] as const)
    if (!/^[\x21\x23-\x7e]+$/.test(v) || v.length > max)
      throw new Error(`ipmi_sim ${what}: 1-${max} printable characters, no quote or space`);
  const dir = await mkdtemp(join(tmpdir(), "enforcer-ipmi-sim-"));
  const chassis = o.chassis ?? memoryChassis();
  let bridge: ChassisBridge | undefined;
  try {
    bridge = await startChassisBridge(dir, chassis);
    await mkdir(join(dir, "state"));
    await writeFile(join(dir, "sim.emu"), EMU);
    // A port taken between our probe and ipmi_sim's bind makes it exit: try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freeUdpPort();
      // (ipmi_sim grants a session the privilege it asks for, whatever the user's limit: no use varying it.)
      const user = { name: o.username, password: o.password, privilege: "admin" };
      await writeFile(join(dir, "lan.conf"), lanConf(port, user, bridge.program));
      const started = await launch(dir);
      if ("child" in started) return handle(started.child, started.log, port, chassis, bridge, dir);
      if (attempt >= 5) throw new Error(`ipmi_sim did not start: ${started.output.slice(-500)}`);
    }
  } catch (err) {
    await bridge?.close();
    await rm(dir, { recursive: true, force: true });
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error(IPMI_SIM_MISSING);
    throw err;
  }
}

// `debug msg` makes ipmi_sim print every message it receives, decoded: how bootFlags() sees the EFI bit.
// `mc_enable` opens the LAN channel (without it ipmi_sim runs but never binds its port).
const EMU = [
  "mc_setbmc 0x20",
  "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr",
  "sel_enable 0x20 1000 0x0a",
  "debug msg",
  "mc_enable 0x20",
  "",
].join("\n");

function lanConf(
  port: number,
  user: { name: string; password: string; privilege: string },
  program: string,
): string {
  return [
    'name "enforcer"',
    "set_working_mc 0x20",
    "  startlan 1",
    `    addr 127.0.0.1 ${port}`,
    "    priv_limit admin",
    "    allowed_auths_callback none md2 md5 straight",
    "    allowed_auths_user none md2 md5 straight",
    "    allowed_auths_operator none md2 md5 straight",
    "    allowed_auths_admin none md2 md5 straight",
    "    guid a123456789abcdefa123456789abcdef",
    "  endlan",
    `  chassis_control "${program}"`,
    `  user 2 true "${user.name}" "${user.password}" ${user.privilege} 10 none md2 md5 straight`,
    "",
  ].join("\n");
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    s.once("error", reject);
    s.bind(0, "127.0.0.1", resolve);
  });
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** The simulator's message log, parsed as it comes: only the boot flags are kept, and the last lines. */
export interface SimLog {
  flags: IpmiBootFlags[];
  tail: string[];
  feed(chunk: string): void;
}

/** A parser of ipmi_sim's message log, fed as it comes (exported for its test). */
export function simLog(): SimLog {
  let partial = "";
  // 0: between messages; 1: a Set System Boot Options request began; 2: its data is the next line.
  let state = 0;
  const log: SimLog = {
    flags: [],
    tail: [],
    feed(chunk) {
      // ipmi_sim ends its console lines with "\n\r"; a blank line carries nothing.
      const lines = (partial + chunk).split(/[\r\n]+/);
      partial = (lines.pop() ?? "").slice(-4096);
      for (const line of lines) {
        // A chunk may end between "\n" and "\r": the empty piece between them is no line.
        if (line === "") continue;
        log.tail.push(line);
        if (log.tail.length > 50) log.tail.shift();
        if (/ netfn=0x0 cmd=0x8 /.test(line)) state = 1;
        else if (state === 1 && /^\s*rq_lun=/.test(line)) state = 2;
        else if (state === 2) {
          state = 0;
          if (!/^\s*[0-9a-f]{2}(\s+[0-9a-f]{2})*\s*$/i.test(line)) continue;
          const b = line
            .trim()
            .split(/\s+/)
            .map((h) => parseInt(h, 16));
          if ((b[0] ?? 0) % 64 === 5 && b.length >= 3 && log.flags.length < 1000) {
            const b1 = b[1] ?? 0;
            const code = ((b[2] ?? 0) >> 2) & 0xf;
            const device = ({ 0: "none", 1: "pxe", 2: "default", 5: "cdrom", 6: "bios" } as const)[code as 0];
            log.flags.push({
              device: device ?? "other",
              efi: (b1 & 0x20) !== 0,
              persistent: (b1 & 0x40) !== 0,
            });
          }
        }
      }
    },
  };
  return log;
}

type Launched = { child: ChildProcess; log: SimLog } | { output: string };

/** Spawns ipmi_sim and waits for its prompt (it prints it once the command file, with mc_enable, ran). */
function launch(dir: string): Promise<Launched> {
  // Without -n the console stays on, which needs a pollable stdin (a pipe: /dev/null makes it abort).
  const child = spawn("ipmi_sim", ["-c", "lan.conf", "-f", "sim.emu", "-s", "state"], {
    cwd: dir,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const log = simLog();
  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
    }, 10_000);
    const onData = (chunk: Buffer) => {
      log.feed(chunk.toString("latin1"));
      if (!ready && /(^|[\r\n])> $/.test(chunk.toString("latin1"))) {
        ready = true;
        clearTimeout(timer);
        resolve({ child, log });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.stdin.on("error", () => {});
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("exit", () => {
      clearTimeout(timer);
      if (!ready) resolve({ output: log.tail.join("\n") });
    });
  });
}

function handle(
  child: ChildProcess,
  log: SimLog,
  port: number,
  chassis: IpmiChassis,
  bridge: ChassisBridge,
  dir: string,
): IpmiSim {
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      // Closing its console is ipmi_sim's own way out; a signal if it does not go.
      child.stdin?.end();
      const term = setTimeout(() => child.kill("SIGTERM"), 1000);
      const kill = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(term);
      clearTimeout(kill);
    }
    await bridge.close();
    await rm(dir, { recursive: true, force: true });
  };
  return {
    port,
    address: `127.0.0.1:${port}`,
    chassis,
    calls: () => bridge.calls,
    bootFlags: () => log.flags,
    pid: child.pid ?? -1,
    stop: () => (stopping ??= stop()),
  };
}
