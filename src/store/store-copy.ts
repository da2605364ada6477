import { EnforcerError } from "../domain/errors.js";
import type { StoreRecords } from "./file-store-read.js";
import type { Store, StoreOp } from "./store.js";

/** Options for copying records into a store. */
export interface CopyOptions {
  /** The most ops one commit may hold (the target's `maxOpsPerCommit`; capped at `MAX_OPS_PER_COPY_COMMIT`). */
  maxOpsPerCommit: number;
  /** The most bytes of keys and JSON one commit may carry (default `MAX_BYTES_PER_COPY_COMMIT`). */
  maxBytesPerCommit?: number;
  /** Called after each commit with the records written so far. */
  progress?: (written: number) => void;
}

/** A copy never makes a commit of more ops than this, even into a store that allows any number (a file). */
export const MAX_OPS_PER_COPY_COMMIT = 1000;
/**
 * Nor more bytes than this: etcd refuses a request over `--max-request-bytes` (1.5 MiB by default), and a
 * machine with a large inventory is tens of KB, so 128 of them would not fit.
 */
export const MAX_BYTES_PER_COPY_COMMIT = 1024 * 1024;
/** Commits under way at once: the file store groups them into one fsync, etcd answers them in parallel. */
const IN_FLIGHT = 4;

/** What a copy wrote. */
export interface CopyResult {
  records: number;
  commits: number;
}

/**
 * Writes every record of the named collections into `target` as puts, in commits of at most
 * `maxOpsPerCommit` ops and `maxBytesPerCommit` bytes (a record larger than that goes alone), a few under way
 * at once. The target should be empty; a failed commit stops the copy (the target then holds part of it).
 */
export async function copyRecords(
  source: StoreRecords,
  collections: readonly string[],
  target: Pick<Store, "commit">,
  opts: CopyOptions,
): Promise<CopyResult> {
  const maxOps = Math.max(1, Math.min(opts.maxOpsPerCommit, MAX_OPS_PER_COPY_COMMIT));
  const maxBytes = opts.maxBytesPerCommit ?? MAX_BYTES_PER_COPY_COMMIT;
  const running = new Set<Promise<void>>();
  let failure: unknown;
  let records = 0;
  let commits = 0;
  let batch: StoreOp[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const ops = batch;
    batch = [];
    bytes = 0;
    while (running.size >= IN_FLIGHT) await Promise.race(running);
    if (failure) throw failure;
    const p: Promise<void> = target
      .commit(ops)
      .then(() => {
        records += ops.length;
        commits++;
        opts.progress?.(records);
      })
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => running.delete(p));
    running.add(p);
  };
  for (const collection of collections) {
    for (const [id, value] of source.get(collection) ?? []) {
      const size = collection.length + id.length + (JSON.stringify(value)?.length ?? 0);
      if (batch.length >= maxOps || (batch.length > 0 && bytes + size > maxBytes)) await flush();
      batch.push({ op: "put", collection, id, value });
      bytes += size;
    }
  }
  await flush();
  await Promise.all(running);
  if (failure) throw failure;
  return { records, commits };
}

/** How many records the named collections of a store hold. */
export function countRecords(store: Pick<Store, "count">, collections: readonly string[]): number {
  return collections.reduce((n, c) => n + store.count(c), 0);
}

/** The refusal of a target that already holds Enforcer data. */
export function targetNotEmpty(where: string, records: number): EnforcerError {
  return new EnforcerError(
    "ENF_ERR_STORE_COPY_NOT_EMPTY",
    `${where} already holds ${records} Enforcer records; add --force to replace them (only Enforcer's data there is removed)`,
    { target: where, records },
  );
}
