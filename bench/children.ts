// The processes a benchmark starts, and the tools it needs, in one place: a missing tool stops a run before
// it starts anything, and whatever it started is stopped when it ends, fails or is interrupted. Before this,
// a failed or interrupted run left Enforcer and the baseline server running (and wrk, or strace's server).
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** The Debian package that installs each tool a benchmark runs (scripts/ensure-peers.sh bench installs them). */
const PACKAGES: Record<string, string> = {
  wrk: "wrk",
  "in.tftpd": "tftpd-hpa",
  atftp: "atftp",
  curl: "curl",
  strace: "strace",
  chromium: "chromium",
  etcd: "etcd-server",
};

/** The tools each part of `npm run bench` runs; a new part adds its own (the lab checks its own and fails alone). */
export const BENCH_TOOLS: Record<string, readonly string[]> = {
  boot: ["wrk"],
  queries: ["wrk"],
  footprint: ["wrk"],
  tftp: ["in.tftpd", "atftp", "curl"],
  "tftp-rss": ["atftp", "curl"],
  ui: ["chromium"],
  soak: [],
  writes: ["strace"],
  storm: ["dnsmasq", "nginx", "ip"],
  etcd: ["wrk", "etcd"],
};

/** True when `tool` is an executable file in one of PATH's directories (or is a path to one). */
function onPath(tool: string): boolean {
  const dirs = tool.includes("/") ? [""] : (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  return dirs.some((d) => {
    try {
      accessSync(d ? join(d, tool) : tool, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Throws one line naming what to install when a tool is not on PATH; call it before starting anything. */
export function requireTools(tools: Iterable<string>): void {
  const missing = [...new Set(tools)].filter((t) => !onPath(t));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => PACKAGES[t] ?? t))].join(" ");
  throw new Error(
    `the benchmark needs ${missing.join(", ")} on PATH: apt-get install ${packages} (or bash scripts/ensure-peers.sh bench)`,
  );
}

const running = new Set<ChildProcess>();
const cleanups = new Set<() => Promise<void>>();
let hooked = false;

/**
 * Runs `fn` on a stop signal once the children are gone, before the exit: for what a bench made besides
 * processes (the storm's network namespaces). Answers a function that takes it back.
 */
export function onStopSignal(fn: () => Promise<void>): () => void {
  hook();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Sends `signal` to each child's process group: it and what it started (strace's server, say). */
function signal(children: Iterable<ChildProcess>, signal: NodeJS.Signals): void {
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null) continue; // reaped: its pid may be another's now
    try {
      process.kill(-c.pid!, signal);
    } catch {
      c.kill(signal); // not a group leader (adopted)
    }
  }
}

/**
 * Stops children (default: every one still running): SIGTERM, then SIGKILL to what is left after `graceMs`.
 * A bench stops its own before removing their data; on a signal or an uncaught error the hooks below do it.
 */
export async function stop(children: Iterable<ChildProcess> = running, graceMs = 2000): Promise<void> {
  const left = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  const exited = left.map((c) => new Promise((r) => c.once("exit", r)));
  signal(left, "SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(exited), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  signal(left, "SIGKILL");
}

/** Hooks the process once: exit (a normal end, an uncaught error or rejection) and the stop signals. */
function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => signal(running, "SIGKILL"));
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.once(signal, () => {
      console.error(`\nbenchmark stopped by ${signal}: stopping what it started`);
      // The step in flight fails as its servers go: expected now, not a second error to print.
      const quiet = () => {};
      process.on("uncaughtException", quiet).on("unhandledRejection", quiet);
      void stop(running, 1000)
        .then(() => Promise.allSettled([...cleanups].map((fn) => fn())))
        .finally(() => process.exit(code));
    });
  }
}

/** Tracks a child started elsewhere (test support's startEnforcer), so it is stopped with the others. */
export function adopt<T extends ChildProcess>(child: T): T {
  hook();
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/**
 * `spawn`, for a child that must not outlive the benchmark. It leads its own process group, so stopping it
 * stops what it started too; Ctrl-C reaches it through this process's handler instead of the terminal.
 * A tool that cannot start is an exit, never an uncaught exception (its error event has a listener).
 */
export function spawnChild(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): ChildProcess {
  const child = adopt(spawn(command, args, { ...options, detached: true }));
  child.on("error", (err) => {
    console.error(`${command}: ${err.message}`);
    // Not started (no pid): no exit will come, so waiters hear one now. A failed kill needs nothing.
    if (child.pid === undefined) child.emit("exit", null, null);
  });
  return child;
}

/** Runs a tool to its end like promisified `execFile` (stdout, stderr; rejects on a failure), tracked. */
export function run(command: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("exit", (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? code}): ${stderr.trim()}`));
    });
  });
}
