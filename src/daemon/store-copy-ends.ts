import { existsSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import { readFileStore, type StoreRecords } from "../store/file-store-read.js";
import { FileStore } from "../store/file-store.js";
import { acquireLock } from "../store/lock-file.js";
import { copyRecords, countRecords, type CopyResult } from "../store/store-copy.js";

/** One side of a copy: where it is, how to read it whole, how to clear and fill it. */
export interface CopyEnd {
  /** How the messages name it. */
  where: string;
  /** Every record as it is durable now, read without writing anything. */
  read(): Promise<StoreRecords>;
  /** How many records of `names` it holds (a target must hold none, unless forced). */
  held(names: readonly string[]): Promise<number>;
  /** Removes the records of `names` from it, nothing else. */
  clear(names: readonly string[]): Promise<void>;
  /** Writes `records` (of `names`) into it in bounded commits. */
  write(records: StoreRecords, names: readonly string[]): Promise<CopyResult>;
  /** Lets go of whatever it holds (a lock, connections). */
  release(): void;
}

/**
 * A file store under a data directory (as `serve --data`). The source is read under its LOCK (so no server
 * starts on it while it is read) without opening it for writing: a directory a running server holds is
 * refused, since a copy of a store that is still changing would be out of date at once.
 */
export function fileEnd(spec: string, role: "source" | "target"): CopyEnd {
  const data = resolve(spec);
  const dir = join(data, "store");
  let unlock: (() => void) | undefined;
  const open = () => FileStore.open({ dir }).catch((err: unknown) => Promise.reject(inUse(err, dir, role)));
  return {
    where: dir,
    async read() {
      if (role === "source" && !unlock) {
        if (!existsSync(dir)) {
          const hint = looksLikeStore(data)
            ? ` (${data} looks like a store directory itself: give its parent, the --data directory)`
            : "";
          throw new EnforcerError("ENF_ERR_STORE_IO", `no store at ${dir}${hint}`, { path: dir });
        }
        try {
          unlock = acquireLock(join(dir, "LOCK"));
        } catch (err) {
          throw inUse(err, dir, role);
        }
      }
      return readFileStore(dir);
    },
    async held(names) {
      const store = await open();
      try {
        return countRecords(store, names);
      } finally {
        await store.close();
      }
    },
    // The whole store is Enforcer's data: its snapshot and journals go (under the lock), the directory stays.
    async clear() {
      let release: () => void;
      try {
        release = acquireLock(join(dir, "LOCK"));
      } catch (err) {
        throw inUse(err, dir, role);
      }
      try {
        for (const name of readdirSync(dir))
          if (name === "snapshot.json" || /^journal-\d+\.log$/.test(name))
            rmSync(join(dir, name), { force: true });
      } finally {
        release();
      }
    },
    async write(records, names) {
      const store = await open();
      try {
        return await copyRecords(records, names, store, { maxOpsPerCommit: store.maxOpsPerCommit });
      } finally {
        await store.close();
      }
    },
    release() {
      unlock?.();
      unlock = undefined;
    },
  };
}

function looksLikeStore(dir: string): boolean {
  return (
    existsSync(dir) && readdirSync(dir).some((n) => n === "snapshot.json" || /^journal-\d+\.log$/.test(n))
  );
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
