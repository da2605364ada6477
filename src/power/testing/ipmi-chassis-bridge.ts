import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";

/** The boot devices ipmi_sim's chassis control names (`chassis bootdev` sets one). */
export const IPMI_BOOT_DEVICES = ["none", "pxe", "default", "cdrom", "bios"] as const;
/** One of IPMI_BOOT_DEVICES. */
export type IpmiBootDevice = (typeof IPMI_BOOT_DEVICES)[number];

/**
 * The machine behind a simulated BMC: what ipmi_sim's `chassis_control` program asks for. The proof piece's
 * chassis starts and stops a QEMU VM; the default one only keeps a flag. ipmi_sim waits (and answers no
 * other request) while a call runs, so a call returns as soon as the change is under way (spawn the VM, do
 * not wait for it to boot).
 */
export interface IpmiChassis {
  /** Whether the machine is on now (asked on every `chassis power status` and after a cycle's off). */
  isOn(): boolean | Promise<boolean>;
  /** Hard power on or off (`chassis power on|off`, and the two halves of `cycle`). */
  setPower(on: boolean): void | Promise<void>;
  /** A hard reset of a running machine (`chassis power reset`). */
  reset(): void | Promise<void>;
  /** The device of the next boot (`chassis bootdev`; the EFI flag is not passed: see IpmiSim.bootFlags). */
  setBootDevice(device: IpmiBootDevice): void | Promise<void>;
  /** The device last set, as `chassis bootparam get 5` reads it back. */
  bootDevice(): IpmiBootDevice | Promise<IpmiBootDevice>;
  /** A soft shutdown (`chassis power soft`); without it, a hard off. */
  softOff?(): void | Promise<void>;
}

/** A chassis that only remembers: a power flag and the boot device, plus a count of resets. */
export interface MemoryChassis extends IpmiChassis {
  on: boolean;
  boot: IpmiBootDevice;
  resets: number;
}

/** A chassis in memory, off, booting its default device: what startIpmiSim uses unless told otherwise. */
export function memoryChassis(): MemoryChassis {
  const c: MemoryChassis = {
    on: false,
    boot: "default",
    resets: 0,
    isOn: () => c.on,
    setPower: (on) => void (c.on = on),
    reset: () => void c.resets++,
    setBootDevice: (d) => void (c.boot = d),
    bootDevice: () => c.boot,
  };
  return c;
}

/** The running bridge: the program path to name as `chassis_control`, the calls it relayed, and close. */
export interface ChassisBridge {
  program: string;
  /** Each call ipmi_sim made, as its arguments (`get power`, `set boot pxe`), oldest first, at most 1000. */
  calls: string[];
  close(): Promise<void>;
}

const MAX_LINE = 1024;
const MAX_CALLS = 1000;

/**
 * Starts a loopback TCP server that runs `chassis`, and writes into `dir` the bash program ipmi_sim runs
 * (through popen) for each chassis call: it sends its arguments with a random token over bash's /dev/tcp and
 * prints the answer, so the chassis is TypeScript in the test's own process (no node start per call).
 */
export async function startChassisBridge(dir: string, chassis: IpmiChassis): Promise<ChassisBridge> {
  const token = randomBytes(16).toString("hex");
  const calls: string[] = [];
  const server: Server = createServer((socket) => serve(socket, token, chassis, calls));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the chassis bridge has no port");
  const program = join(dir, "chassis-control");
  // The answer's first line is the exit code; the rest is what ipmi_sim reads (`power:1`) or logs.
  const script = [
    "#!/bin/bash",
    `exec 3<>/dev/tcp/127.0.0.1/${address.port} || { echo "chassis bridge unreachable"; exit 1; }`,
    `printf '%s %s\\n' ${token} "$*" >&3`,
    "read -r rc <&3 || { echo 'chassis bridge closed'; exit 1; }",
    "cat <&3",
    'exit "$rc"',
    "",
  ].join("\n");
  await writeFile(program, script, { mode: 0o700 });
  return {
    program,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

function serve(socket: Socket, token: string, chassis: IpmiChassis, calls: string[]): void {
  let buf = "";
  socket.setEncoding("latin1");
  socket.setTimeout(10_000, () => socket.destroy());
  socket.on("error", () => socket.destroy());
  socket.on("data", (chunk: string) => {
    buf += chunk;
    const nl = buf.indexOf("\n");
    if (nl < 0) {
      if (buf.length > MAX_LINE) socket.destroy();
      return;
    }
    socket.removeAllListeners("data");
    const [got, ...args] = buf.slice(0, nl).trim().split(/\s+/);
    if (got !== token) return void socket.end("1\nbad token\n");
    if (calls.length < MAX_CALLS) calls.push(args.join(" "));
    answer(chassis, args).then(
      (out) => socket.end(`0\n${out}`),
      (err: unknown) => socket.end(`1\n${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
}

/** One call: `get parm…` prints `parm:value` lines; `set parm value…` prints nothing. */
async function answer(chassis: IpmiChassis, args: string[]): Promise<string> {
  const [op, ...rest] = args;
  if (op === "get") {
    let out = "";
    for (const parm of rest) {
      if (parm === "power") out += `power:${(await chassis.isOn()) ? 1 : 0}\n`;
      else if (parm === "boot") out += `boot:${await chassis.bootDevice()}\n`;
      else throw new Error(`cannot get ${parm}`);
    }
    return out;
  }
  if (op !== "set") throw new Error(`unknown operation ${op ?? ""}`);
  for (let i = 0; i < rest.length; i += 2) {
    const parm = rest[i];
    // ipmi_sim quotes values: `set power "1"`; the shell has removed the quotes.
    const value = rest[i + 1] ?? "";
    if (parm === "power") await chassis.setPower(value === "1");
    else if (parm === "reset") await chassis.reset();
    else if (parm === "shutdown") await (chassis.softOff ? chassis.softOff() : chassis.setPower(false));
    else if (parm === "boot") {
      const device = IPMI_BOOT_DEVICES.find((d) => d === value);
      if (!device) throw new Error(`unknown boot device ${value}`);
      await chassis.setBootDevice(device);
    } else if (parm === "identify")
      i++; // interval and force: nothing to show
    else throw new Error(`cannot set ${parm ?? ""}`);
  }
  return "";
}
