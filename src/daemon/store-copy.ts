import { existsSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import { COLLECTIONS } from "../store/collections.js";
import { readFileStore, type StoreRecords } from "../store/file-store-read.js";
import { FileStore } from "../store/file-store.js";
import { acquireLock } from "../store/lock-file.js";
import { digestRecords, type CollectionDigest } from "../store/record-digest.js";
import { copyRecords, countRecords, targetNotEmpty } from "../store/store-copy.js";
import type { Store } from "../store/store.js";

/** The options of `enforcer store copy`, as commander hands them over. */
export interface StoreCopyOptions {
  from: string;
  to: string;
  prefix?: string;
  force?: boolean;
}

/** Every collection Enforcer keeps: what a copy moves, and what `--force` clears on the target. */
const NAMES: readonly string[] = Object.values(COLLECTIONS);

/** One side of a copy: where it is, how to read it whole, how to write into it. */
interface CopyEnd {
  /** How the messages name it. */
  where: string;
  /** Every record as it is durable now, read without writing anything. */
  read(): Promise<StoreRecords>;
  /** Opens it as a store to write into. */
  open(): Promise<Store>;
  /** Removes Enforcer's data from it (nothing else); it is not open. */
  clear(): Promise<void>;
  /** Let go of whatever it holds (a lock). */
  release(): void;
}

/**
 * `enforcer store copy`: reads every record of the source, refuses a target that holds Enforcer data unless
 * `force` (then removes that data first), writes the records in bounded commits, closes the target, reads it
 * back and compares each collection's count and digest with the source's. Prints one line per collection.
 */
export async function storeCopy(o: StoreCopyOptions, out: (line: string) => void): Promise<void> {
  const from = copyEnd(o.from, o, "source");
  const to = copyEnd(o.to, o, "target");
  if (from.where === to.where)
    throw new EnforcerError("ENF_ERR_SETTINGS_INVALID", `--from and --to are the same store (${from.where})`);
  try {
    const source = await from.read();
    for (const [name, m] of source)
      if (!NAMES.includes(name) && m.size > 0)
        out(`skipped: ${m.size} records of "${name}", a collection this version of Enforcer does not know`);
    let target = await to.open();
    const held = countRecords(target, NAMES);
    if (held > 0) {
      await target.close();
      if (!o.force) throw targetNotEmpty(to.where, held);
      await to.clear();
      target = await to.open();
    }
    const started = performance.now();
    const copied = await copyRecords(source, NAMES, target, {
      maxOpsPerCommit: target.maxOpsPerCommit,
    }).finally(() => target.close());
    const expected = digestRecords(source, NAMES);
    const found = digestRecords(await to.read(), NAMES);
    const differ = NAMES.filter((n) => !same(expected.get(n), found.get(n)));
    if (differ.length > 0)
      throw new EnforcerError(
        "ENF_ERR_STORE_COPY_MISMATCH",
        `${to.where} does not read back as ${from.where} in ${differ.join(", ")}; run the copy again with --force`,
        { collections: differ },
      );
    for (const [name, d] of expected)
      if (d.records > 0)
        out(`${name.padEnd(16)} ${String(d.records).padStart(8)}  sha256:${d.sha256.slice(0, 16)}`);
    out(
      `copied ${copied.records} records in ${copied.commits} commits from ${from.where} to ${to.where} ` +
        `in ${Math.round(performance.now() - started)} ms; read back: every collection's count and SHA-256 match`,
    );
  } finally {
    from.release();
    to.release();
  }
}

function same(a: CollectionDigest | undefined, b: CollectionDigest | undefined): boolean {
  return a?.records === b?.records && a?.sha256 === b?.sha256;
}

/** The end a `--from`/`--to` value names: `etcd://…` or a data directory (as `serve --data`). */
function copyEnd(spec: string, _o: StoreCopyOptions, role: "source" | "target"): CopyEnd {
  if (/^etcd:\/\//i.test(spec))
    throw new EnforcerError(
      "ENF_ERR_SETTINGS_INVALID",
      `etcd stores are not supported by this build (${spec})`,
    );
  return fileEnd(spec, role);
}

/**
 * A file store under a data directory. The source is read under its LOCK (so no server starts on it while
 * it is read) without opening it for writing: a directory a running server holds is refused, since a copy of
 * a store that still changes would be out of date at once.
 */
function fileEnd(spec: string, role: "source" | "target"): CopyEnd {
  const data = resolve(spec);
  const dir = join(data, "store");
  const where = dir;
  let unlock: (() => void) | undefined;
  const lock = () => {
    try {
      unlock = acquireLock(join(dir, "LOCK"));
    } catch (err) {
      throw inUse(err, where, role);
    }
  };
  return {
    where,
    async read() {
      if (role === "source") {
        if (!existsSync(dir)) {
          const hint =
            existsSync(join(data, "snapshot.json")) || hasJournal(data)
              ? ` (${data} looks like a store directory itself: give its parent, the --data directory)`
              : "";
          throw new EnforcerError("ENF_ERR_STORE_IO", `no store at ${dir}${hint}`, { path: dir });
        }
        lock();
      }
      return readFileStore(dir);
    },
    async open() {
      try {
        return await FileStore.open({ dir });
      } catch (err) {
        throw inUse(err, where, role);
      }
    },
    async clear() {
      const release = acquireLock(join(dir, "LOCK"));
      try {
        for (const name of readdirSync(dir))
          if (name === "snapshot.json" || /^journal-\d+\.log$/.test(name))
            rmSync(join(dir, name), { force: true });
      } finally {
        release();
      }
    },
    release() {
      unlock?.();
      unlock = undefined;
    },
  };
}

function hasJournal(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((n) => /^journal-\d+\.log$/.test(n));
}

/** A lock refusal said for a copy: which side, and what to do. */
function inUse(err: unknown, where: string, role: string): unknown {
  // Only a lock held by a live server is said anew; an unsure one keeps its message (what to check).
  if (!isEnforcerError(err, "ENF_ERR_STORE_LOCKED") || !err.message.includes(" is in use by process "))
    return err;
  const pid = (err.details as { pid?: number }).pid;
  return new EnforcerError(
    "ENF_ERR_STORE_LOCKED",
    `the ${role} ${where} is in use by a running Enforcer${pid ? ` (process ${pid})` : ""}: stop it first ` +
      `(a copy of a store that is still changing would be out of date at once)`,
    err.details,
  );
}
