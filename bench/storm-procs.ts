// The storm's server processes: started in the server namespace with their output in a log file (the bench
// never reads a busy server's output through a pipe), stopped by PID, and measured from /proc while they run.
import type { ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { spawnChild, stop } from "./children.js";

/** A started server process. */
export interface StormProc {
  name: string;
  child: ChildProcess;
  log: string;
  /** Its output so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s (its process group); resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `cmd` in `ns` (`ip netns exec` execs in place: the PID is the command's), output to `log`; tracked
 * by bench/children.ts, so an error or a signal anywhere stops it too.
 */
export function startStormProc(name: string, ns: string, cmd: string[], log: string): StormProc {
  const fd = openSync(log, "a");
  const child = spawnChild("ip", ["netns", "exec", ns, ...cmd], { stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const gone = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    name,
    child,
    log,
    output: () => (existsSync(log) ? readFileSync(log, "utf8") : ""),
    async stop() {
      await stop([child], 5_000);
      // The next side binds the same ports: wait for the exit, even after a SIGKILL.
      if (child.exitCode === null && child.signalCode === null) await gone;
    },
  };
}

/** Waits until the log says `ready`; throws with the log if the process exits first or `ms` pass. */
export async function waitReady(p: StormProc, ready: RegExp | string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const out = p.output();
    if (typeof ready === "string" ? out.includes(ready) : ready.test(out)) return;
    if (p.child.exitCode !== null)
      throw new Error(`${p.name} exited ${p.child.exitCode}:\n${out.slice(-2000)}`);
    if (Date.now() > until) throw new Error(`${p.name} not ready after ${ms} ms:\n${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A PID's children (nginx's workers), from /proc. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Resident memory (KiB) and CPU time (ms) of one PID; zeros once it is gone. */
function procStat(pid: number): { rssKiB: number; cpuMs: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKiB = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    // Fields 14 and 15 of /proc/PID/stat (utime, stime) in clock ticks (100 Hz), after the `(comm)` field.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { rssKiB, cpuMs: (Number(f[11]) + Number(f[12])) * 10 };
  } catch {
    return { rssKiB: 0, cpuMs: 0 };
  }
}

/** Samples a side's processes every 100 ms: the peak of their summed RSS, and each PID's last CPU time. */
export class SideSampler {
  private peakKiB = 0;
  private readonly cpu = new Map<number, number>();
  /** Each PID's CPU time when first seen: the storm's share is what it used after. */
  private readonly cpuBase = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: () => number[]) {
    this.timer = setInterval(() => this.sample(), 100);
    this.sample();
  }

  private sample(): void {
    let sum = 0;
    for (const pid of this.pids()) {
      const s = procStat(pid);
      sum += s.rssKiB;
      if (s.cpuMs === 0 && s.rssKiB === 0) continue;
      if (!this.cpuBase.has(pid)) this.cpuBase.set(pid, s.cpuMs);
      this.cpu.set(pid, s.cpuMs);
    }
    this.peakKiB = Math.max(this.peakKiB, sum);
  }

  /** Stops sampling (one last sample first): peak RSS in MiB, and the CPU time every PID used since it was first seen, ms. */
  stop(): { peakRssMiB: number; cpuMs: number } {
    this.sample();
    clearInterval(this.timer);
    let cpuMs = 0;
    for (const [pid, ms] of this.cpu) cpuMs += ms - (this.cpuBase.get(pid) ?? 0);
    return { peakRssMiB: Math.round((this.peakKiB / 1024) * 10) / 10, cpuMs };
  }
}
