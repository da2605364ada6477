import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The system calls that put bytes on a file or make them durable; `-y` names each descriptor's path. */
const SYSCALLS = "write,pwrite64,writev,pwritev,pwritev2,fsync,fdatasync,rename,renameat,renameat2";

/** One write or sync to a file under the watched directory, as strace saw it. */
export interface FileWrite {
  /** Seconds since the epoch (strace -ttt). */
  at: number;
  path: string;
  call: string;
  /** Bytes the call wrote (0 for fsync, fdatasync and renames). */
  bytes: number;
}

/** Fails with one line when strace is missing: the writes row needs it. */
export function requireStrace(): void {
  try {
    execFileSync("strace", ["-V"], { stdio: "ignore" });
  } catch {
    throw new Error("strace not found: the writes benchmark needs it (apt-get install strace)");
  }
}

/**
 * The argv that runs `cmd` under strace, one output file per thread (`-ff`: Node writes files from its
 * libuv pool threads, and per-thread files never split a call into "unfinished" and "resumed" halves).
 */
export function straceArgv(prefix: string, cmd: string[]): string[] {
  return ["-f", "-ff", "-qq", "-y", "-ttt", "-s", "0", "-e", `trace=${SYSCALLS}`, "-o", prefix, ...cmd];
}

/**
 * Every write, sync and rename the traced process made to a path under `dir`, from the per-thread files
 * `prefix.<tid>`. Writes to anything else (stdout, sockets, /dev/null) are left out.
 */
export function fileWrites(prefix: string, dir: string): FileWrite[] {
  const base = prefix.slice(prefix.lastIndexOf("/") + 1);
  const folder = prefix.slice(0, prefix.lastIndexOf("/"));
  const out: FileWrite[] = [];
  for (const name of readdirSync(folder)) {
    if (!name.startsWith(`${base}.`)) continue;
    for (const line of readFileSync(join(folder, name), "utf8").split("\n")) {
      const m = /^(\d+\.\d+) (\w+)\((.*)\) += (-?\d+)/.exec(line);
      if (!m) continue;
      const [, at, call, args, ret] = m as unknown as [string, string, string, string, string];
      // A rename names paths; every other call names its descriptor's path in <…>.
      const path = call.startsWith("rename") ? /"([^"]*)"/.exec(args)?.[1] : /<([^>]*)>/.exec(args)?.[1];
      if (!path?.startsWith(dir)) continue;
      const writes = call.includes("write") && Number(ret) > 0;
      out.push({ at: Number(at), path, call, bytes: writes ? Number(ret) : 0 });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/** Bytes written and syncs made between two moments (seconds since the epoch). */
export function between(
  writes: FileWrite[],
  from: number,
  to: number,
): { bytes: number; syncs: number; files: string[] } {
  const inside = writes.filter((w) => w.at >= from && w.at < to);
  return {
    bytes: inside.reduce((n, w) => n + w.bytes, 0),
    syncs: inside.filter((w) => w.call.includes("sync")).length,
    files: [...new Set(inside.map((w) => w.path))],
  };
}
