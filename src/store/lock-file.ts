import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { resolve } from "node:path";
import { EnforcerError } from "../domain/errors.js";

/** Who holds a lock: the PID, plus what tells that process apart from a later one given the same PID. */
export interface LockOwner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: the process start time in clock ticks since boot. */
  start?: string;
  /** /proc/sys/kernel/random/boot_id: changes with every boot. */
  boot?: string;
}

/** Where process facts are read; tests point it at a missing directory to act as a system without /proc. */
export interface LockOptions {
  procRoot?: string;
}

/**
 * Takes the data directory's lock so two processes never append to one journal. The LOCK file records the
 * owner's PID, start time and boot id, so a lock left by a crash or power cut is taken over even when its
 * PID now belongs to another live process. When that cannot be told (no /proc, an old lock) the start is
 * refused with what to check and which file to delete. Returns the release function.
 */
export function acquireLock(path: string, opts: LockOptions = {}): () => void {
  const key = resolve(path);
  const proc = opts.procRoot ?? "/proc";
  const me = ownerOf(process.pid, proc);
  const text = JSON.stringify(me);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      held.add(key);
      // Only our own lock is removed: a release after a takeover must not free someone else's.
      return () => {
        held.delete(key);
        if (readText(path) === text) rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new EnforcerError("ENF_ERR_STORE_IO", `cannot create lock ${path}: ${(err as Error).message}`);
      }
      const found = readText(path);
      const verdict = judge(path, found, proc, me, held.has(key));
      if (verdict !== "stale") throw lockedError(path, verdict);
      removeStale(path, found);
    }
  }
  throw new EnforcerError("ENF_ERR_STORE_IO", `cannot take lock ${path}`);
}

/** The identity of a running process, as far as this system can tell. */
export function ownerOf(pid: number, procRoot = "/proc"): LockOwner {
  const owner: LockOwner = { pid };
  const start = startTime(pid, procRoot);
  const boot = readText(`${procRoot}/sys/kernel/random/boot_id`)?.trim();
  if (start) owner.start = start;
  if (boot) owner.boot = boot;
  return owner;
}

/** Locks this process holds, so a second open in the same process is refused rather than taken over. */
const held = new Set<string>();

type Verdict = "stale" | { live: LockOwner } | { unsure: LockOwner };

/** Decides whether the lock at `path` belongs to a process that still has the directory open. */
function judge(
  path: string,
  text: string | undefined,
  proc: string,
  me: LockOwner,
  heldHere: boolean,
): Verdict {
  if (text === undefined) return "stale"; // removed meanwhile: try again
  const owner = parseOwner(text);
  if (!owner) return "stale"; // not a lock we wrote (empty after a power cut, say)
  // Our own PID: a lock this process took is live; any other was left by an earlier process (a container's
  // PID 1 after a restart, say).
  if (owner.pid === me.pid) return heldHere ? { live: owner } : "stale";
  if (!isAlive(owner.pid)) return "stale";
  const now = ownerOf(owner.pid, proc);
  if (owner.boot && me.boot) {
    if (owner.boot !== me.boot) return "stale"; // written before the last boot
    if (owner.start && now.start) return owner.start === now.start ? { live: owner } : "stale";
  }
  // An old-style lock (PID only), or no /proc: one more fact can still prove it stale.
  const bootedAt = bootTime(proc);
  const writtenAt = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
  if (bootedAt !== undefined && writtenAt !== undefined && writtenAt < bootedAt) return "stale";
  return { unsure: owner };
}

/**
 * Removes the lock judged stale, but not a fresh one another process wrote since it was read (two starts
 * racing after a crash): it is moved aside first and handed back if it is not the one judged.
 */
export function removeStale(path: string, judged: string | undefined): void {
  if (judged === undefined) return;
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new EnforcerError(
      "ENF_ERR_STORE_IO",
      `cannot remove stale lock ${path}: ${(err as Error).message}`,
    );
  }
  if (readText(aside) !== judged) {
    try {
      linkSync(aside, path);
    } catch {
      // A third process holds the lock now; the next attempt judges that one.
    }
  }
  rmSync(aside, { force: true });
}

function lockedError(path: string, v: { live: LockOwner } | { unsure: LockOwner }): EnforcerError {
  if ("live" in v) {
    return new EnforcerError(
      "ENF_ERR_STORE_LOCKED",
      `the data directory is in use by process ${v.live.pid} (${path}); stop that Enforcer first`,
      { pid: v.live.pid, path },
    );
  }
  const pid = v.unsure.pid;
  return new EnforcerError(
    "ENF_ERR_STORE_LOCKED",
    `${path} names process ${pid}, which is running, and this system cannot tell whether it is the Enforcer ` +
      `that wrote the lock. Check with \`ps -o pid,lstart,command -p ${pid}\`: if it is not an Enforcer ` +
      `using this data directory (its PID was reused after a crash or power cut), delete ${path} and start again`,
    { pid, path },
  );
}

function parseOwner(text: string): LockOwner | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return validPid(Number(t)) ? { pid: Number(t) } : undefined; // before 0.2: PID only
  try {
    const o = JSON.parse(t) as Partial<LockOwner>;
    if (!validPid(o.pid)) return undefined;
    const owner: LockOwner = { pid: o.pid };
    if (typeof o.start === "string") owner.start = o.start;
    if (typeof o.boot === "string") owner.boot = o.boot;
    return owner;
  } catch {
    return undefined;
  }
}

function validPid(pid: unknown): pid is number {
  return typeof pid === "number" && Number.isInteger(pid) && pid > 0 && pid < 2 ** 31;
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses, so skip past it. */
function startTime(pid: number, proc: string): string | undefined {
  const stat = readText(`${proc}/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = fields[19]; // fields[0] is field 3 (state), so field 22 is fields[19]
  return start && /^\d+$/.test(start) ? start : undefined;
}

/** When this system booted, in ms since the epoch (the `btime` line of /proc/stat). */
function bootTime(proc: string): number | undefined {
  const m = /^btime (\d+)$/m.exec(readText(`${proc}/stat`) ?? "");
  return m ? Number(m[1]) * 1000 : undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
