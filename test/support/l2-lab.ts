import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

// A real layer-2 network built from network namespaces (test-peers.md, "A real L2 network"): a bridge in
// its own namespace, the tap of a QEMU VM on it, and one veth into the bridge per host namespace ("site"
// for the site's DHCP server, "enforcer" for the boot server, more for plain clients). Interface names live
// inside the lab's namespaces, so only the namespace names must be unique: NAME_PREFIX, the test process's
// PID (so a sweep can tell a crashed run from a live one) and a random suffix.

const NAME_PREFIX = "enfl2";
/** The tap the VM uses, inside the bridge namespace. */
export const LAB_TAP = "tap0";

/** A process started inside one of the lab's namespaces; its output is kept for assertions. */
export interface LabProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop: (graceMs?: number) => Promise<void>;
}

/** One running lab: its namespaces, addresses and processes. Always `stop()` it (also on failure). */
export interface L2Lab {
  id: string;
  /** Working directory for leases, logs and firmware variables; removed on stop. */
  dir: string;
  /** First three octets of the lab's /24, e.g. "10.77.42". */
  net: string;
  ns: { bridge: string; site: string; enforcer: string };
  siteAddress: string;
  enforcerAddress: string;
  /** Runs `cmd args` inside namespace `ns` (by `ip netns exec`), tracked so that `stop()` ends it. */
  spawnIn: (ns: string, name: string, cmd: string, args: string[]) => LabProcess;
  /**
   * A new namespace with a veth into the bridge and no address (for a DHCP client), or with `address` (/24,
   * e.g. a second boot server); answers its name.
   */
  addHost: (role: string, address?: string) => string;
  /** Adds an IPv6 address (CIDR) to the site's interface. */
  addSiteIpv6: (cidr: string) => void;
  /** Namespaces and processes of this lab that still exist (empty after `stop()`). */
  leftovers: () => string[];
  stop: () => Promise<void>;
}

const live = new Set<{ namespaces: string[]; children: ChildProcess[] }>();
let exitHook = false;

/** `ip ARGS`, throwing one line with ip's own error when it fails. */
function ip(...args: string[]): string {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${(r.stderr || r.error?.message || "").trim()}`);
  return r.stdout;
}

function namespaces(): string[] {
  return ip("netns", "list")
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter(Boolean);
}

function nsPids(ns: string): number[] {
  const r = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" });
  return (r.stdout ?? "").split(/\s+/).filter(Boolean).map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Ends every process still inside `ns` (by PID: they are the lab's own) and deletes the namespace. */
function removeNamespace(ns: string): void {
  for (const pid of nsPids(ns)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  spawnSync("ip", ["netns", "del", ns]);
}

/**
 * Deletes the namespaces (and the processes in them) that earlier runs left behind when they crashed:
 * those with our prefix whose creating test process is gone. A parallel live run's lab is left alone.
 */
export function sweepL2Leftovers(): string[] {
  const swept: string[] = [];
  for (const ns of namespaces()) {
    const m = new RegExp(`^${NAME_PREFIX}-(\\d+)-`).exec(ns);
    if (!m || alive(Number(m[1]))) continue;
    removeNamespace(ns);
    swept.push(ns);
  }
  return swept;
}

function which(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

/** Throws one line naming what the lab lacks (root, a tool, a firmware file), or returns. */
export function requireL2Lab(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "the L2 lab needs root (network namespaces, a bridge, a tap): run this test as root (CI does)",
    );
  }
  const tools: Record<string, string> = {
    ip: "iproute2",
    dnsmasq: "dnsmasq-base",
    "qemu-system-x86_64": "qemu-system-x86",
    busybox: "busybox-static",
  };
  const files: Record<string, string> = {
    "/usr/share/OVMF/OVMF_CODE_4M.fd": "ovmf",
    "/usr/share/OVMF/OVMF_VARS_4M.fd": "ovmf",
    "/usr/lib/ipxe/snponly.efi": "ipxe",
    "/usr/lib/ipxe/qemu/efi-virtio.rom": "ipxe-qemu",
  };
  const missing = new Set<string>();
  for (const [cmd, pkg] of Object.entries(tools)) if (!which(cmd)) missing.add(pkg);
  for (const [file, pkg] of Object.entries(files)) if (!existsSync(file)) missing.add(pkg);
  if (missing.size) {
    throw new Error(
      `the L2 lab needs these Debian packages: apt-get install -y ${[...missing].join(" ")} (or bash scripts/ensure-peers.sh)`,
    );
  }
}

function track(
  ns: string,
  name: string,
  cmd: string,
  args: string[],
  children: ChildProcess[],
  logs: LabProcess[],
): LabProcess {
  // `ip netns exec` execs the command in place: the child's PID is the command's PID.
  const child = spawn("ip", ["netns", "exec", ns, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString("latin1")));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString("latin1")));
  const exited = new Promise<number | null>((res) => {
    child.on("exit", (code) => res(code));
    child.on("error", (e) => {
      out += `\n${name}: ${e.message}`;
      res(null);
    });
  });
  const stop = async (graceMs = 3000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(killer);
  };
  const p = { name, child, output: () => out, exited, stop };
  logs.push(p);
  return p;
}

/**
 * Builds a lab: bridge namespace with `br0` and the VM's tap, a "site" namespace at .1 and an "enforcer"
 * namespace at .2 of a random 10.77.N.0/24, each joined to the bridge by a veth. Sweeps crashed runs'
 * leftovers first. On any failure while building, everything made so far is removed before the throw.
 */
export async function startL2Lab(): Promise<L2Lab> {
  requireL2Lab();
  sweepL2Leftovers();
  const id = `${NAME_PREFIX}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const net = `10.77.${1 + (randomBytes(1)[0]! % 250)}`;
  const ns = { bridge: `${id}-br`, site: `${id}-site`, enforcer: `${id}-enf` };
  const state = { namespaces: [] as string[], children: [] as ChildProcess[] };
  const processes: LabProcess[] = [];
  live.add(state);
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), `${id}-`));
  let hosts = 0;

  const addNamespace = (name: string) => {
    ip("netns", "add", name);
    state.namespaces.push(name);
    ip("-n", name, "link", "set", "lo", "up");
  };
  const join2bridge = (host: string, port: string, address?: string) => {
    ip("-n", ns.bridge, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host);
    ip("-n", ns.bridge, "link", "set", port, "master", "br0");
    ip("-n", ns.bridge, "link", "set", port, "up");
    if (address) ip("-n", host, "addr", "add", `${address}/24`, "dev", "eth0");
    ip("-n", host, "link", "set", "eth0", "up");
  };

  const stop = async () => {
    await Promise.all(
      state.children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const gone = new Promise((r) => c.once("exit", r));
        c.kill("SIGTERM");
        const killer = setTimeout(() => c.kill("SIGKILL"), 3000);
        await gone;
        clearTimeout(killer);
      }),
    );
    // The lab's directory goes with the lab: to read a passing run's logs, name a directory to keep them.
    const keep = process.env.ENFORCER_LAB_LOG_DIR;
    if (keep) processes.forEach((p, i) => writeFileSync(join(keep, `${id}-${i}-${p.name}.log`), p.output()));
    // Clients first, the bridge last: deleting a namespace deletes its ends of the veth pairs and the tap.
    for (const n of [...state.namespaces].reverse()) removeNamespace(n);
    rmSync(dir, { recursive: true, force: true });
    live.delete(state);
  };

  try {
    addNamespace(ns.bridge);
    ip("-n", ns.bridge, "link", "add", "br0", "type", "bridge");
    ip("-n", ns.bridge, "link", "set", "br0", "up");
    ip("-n", ns.bridge, "tuntap", "add", "dev", LAB_TAP, "mode", "tap");
    ip("-n", ns.bridge, "link", "set", LAB_TAP, "master", "br0");
    ip("-n", ns.bridge, "link", "set", LAB_TAP, "up");
    addNamespace(ns.site);
    join2bridge(ns.site, "site", `${net}.1`);
    addNamespace(ns.enforcer);
    join2bridge(ns.enforcer, "enf", `${net}.2`);
    // Enforcer's proxy broadcasts its answers; they leave by this route (Node cannot name the interface).
    ip("-n", ns.enforcer, "route", "add", "255.255.255.255/32", "dev", "eth0");
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    id,
    dir,
    net,
    ns,
    siteAddress: `${net}.1`,
    enforcerAddress: `${net}.2`,
    spawnIn: (n, name, cmd, args) => track(n, name, cmd, args, state.children, processes),
    addHost: (role, address) => {
      const name = `${id}-${role}`;
      addNamespace(name);
      join2bridge(name, `h${hosts++}`, address);
      return name;
    },
    addSiteIpv6: (cidr) => ip("-n", ns.site, "-6", "addr", "add", cidr, "dev", "eth0", "nodad"),
    leftovers: () => [
      ...namespaces().filter((n) => n.startsWith(id)),
      ...state.children
        .filter((c) => c.exitCode === null && c.signalCode === null)
        .map((c) => `pid ${c.pid}`),
    ],
    stop,
  };
}

// If the test process dies without stop() (an uncaught error, a signal), take its labs down on the way out.
function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    for (const s of live) {
      for (const c of s.children) if (c.exitCode === null) c.kill("SIGKILL");
      for (const n of [...s.namespaces].reverse()) removeNamespace(n);
    }
  });
}
