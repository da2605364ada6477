import { open, readFile, readdir, rm, truncate, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { EnforcerError } from "../domain/errors.js";
import { encodeRecord, scanJournal } from "./journal-codec.js";
import { fromJournal, toJournal } from "./journal-ops.js";
import { PRIVATE_FILE, tightenModes, tightenedNotice } from "./file-modes.js";
import { StringPool } from "./intern.js";
import { acquireLock } from "./lock-file.js";
import { readSnapshot, writeSnapshot } from "./snapshot-file.js";
import {
  ChangeFeed,
  Collections,
  alwaysOk,
  conflictError,
  type AppliedListener,
  type Store,
  type StoreExpect,
  type StoreHealth,
  type StoreOp,
} from "./store.js";

/** Options for the file store. */
export interface FileStoreOptions {
  /** Directory that holds the snapshot, the journal and the lock. */
  dir: string;
  /** Journal size that triggers a snapshot (default 8 MiB): bounds replay time and SD-card writes. */
  compactBytes?: number;
  /** Move a damaged journal tail aside instead of refusing to start (see docs/store.md). */
  recover?: boolean;
  /** Where recovery, torn-tail and file-mode notices go. */
  warn?: (message: string) => void;
  /** Where the lock reads process facts (tests only; default /proc). */
  procRoot?: string;
}

interface Pending {
  bytes: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * The embedded store: an append-only journal of commits (CRC per line, fdatasync before a commit resolves)
 * over a snapshot that is rewritten only when the journal grows past `compactBytes`.
 */
export class FileStore implements Store {
  private readonly mem = new Collections();
  private readonly feed = new ChangeFeed();
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private journal!: FileHandle;
  private journalBytes = 0;
  private gen = 0;
  private closed = false;
  /** Set when a journal write failed: memory may hold commits the disk does not, so nothing more is taken. */
  private failed: EnforcerError | null = null;
  private releaseLock: () => void = () => {};
  private readonly ok = alwaysOk();
  /** Only this process writes the directory (the LOCK says so). */
  readonly shared = false;
  readonly maxOpsPerCommit = Infinity;

  private constructor(
    private readonly opts: Required<Omit<FileStoreOptions, "warn" | "procRoot">> & FileStoreOptions,
  ) {}

  /** Opens (or creates) the store in `dir`, replaying the journal over the snapshot. */
  static async open(options: FileStoreOptions): Promise<FileStore> {
    const s = new FileStore({ compactBytes: 8 * 1024 * 1024, recover: false, ...options });
    // The journal and snapshots hold config secrets and agent keys: owner only, also for older data.
    const notice = tightenedNotice(tightenModes(options.dir));
    if (notice) s.warn(notice);
    s.releaseLock = acquireLock(join(options.dir, "LOCK"), { procRoot: options.procRoot });
    try {
      await s.load();
    } catch (err) {
      s.releaseLock();
      throw err;
    }
    return s;
  }

  get<T>(collection: string, id: string): T | undefined {
    return this.mem.map(collection).get(id) as T | undefined;
  }

  all<T>(collection: string): IterableIterator<T> {
    return this.mem.map(collection).values() as IterableIterator<T>;
  }

  count(collection: string): number {
    return this.mem.map(collection).size;
  }

  commit(ops: StoreOp[], expect?: readonly StoreExpect[]): Promise<void> {
    if (this.closed) return Promise.reject(new EnforcerError("ENF_ERR_STORE_CLOSED", "the store is closed"));
    if (this.failed) return Promise.reject(this.failed);
    // Checked against memory in the same synchronous step that applies: no other commit can come between.
    const unmet = expect && this.mem.unmet(expect);
    if (unmet) return Promise.reject(conflictError(unmet));
    if (ops.length === 0) return Promise.resolve();
    // Encoded before it is applied: a put that changes a few fields of a value is written as those fields.
    const bytes = encodeRecord(toJournal(ops, this.current));
    this.mem.apply(ops);
    this.feed.emit(ops);
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ bytes, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  private readonly current = (collection: string, id: string): unknown => this.mem.map(collection).get(id);

  onApplied(listener: AppliedListener): () => void {
    return this.feed.subscribe(listener);
  }

  health(): StoreHealth {
    return this.ok.health();
  }

  onHealth(): () => void {
    return this.ok.onHealth();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    await this.journal.close();
    this.releaseLock();
  }

  /** Group commit: everything queued while the last fsync ran goes out in one write and one fsync. */
  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const data = batch.map((p) => p.bytes).join("");
        await this.journal.write(data);
        await this.journal.datasync();
        this.journalBytes += Buffer.byteLength(data);
        batch.forEach((p) => p.resolve());
      } catch (err) {
        this.failed = new EnforcerError(
          "ENF_ERR_STORE_IO",
          `journal write failed: ${(err as Error).message}`,
        );
        [...batch, ...this.pending].forEach((p) => p.reject(this.failed));
        this.pending = [];
      }
      if (this.journalBytes >= this.opts.compactBytes)
        await this.compact().catch((err) => this.warn(String(err)));
    }
    this.flushing = null;
  }

  private async load(): Promise<void> {
    const dir = this.opts.dir;
    // Records read back share their repeated strings (intern.ts); the pool is dropped once loaded. The
    // snapshot comes in record by record, so its text and its parsed tree are never in memory whole.
    const strings = new StringPool();
    const gen = await readSnapshot(join(dir, "snapshot.json"), (collection, id, value) =>
      this.mem.map(collection).set(id, strings.intern(value)),
    );
    this.gen = gen ?? 0;
    const path = this.journalPath(this.gen);
    const buf = await readFile(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return Buffer.alloc(0);
      throw new EnforcerError("ENF_ERR_STORE_IO", `cannot read ${path}: ${err.message}`);
    });
    // Commits are applied as they are read; if damage stops the start below, this memory is never used.
    const scan = scanJournal(buf, (entries) =>
      this.mem.apply(strings.intern(fromJournal(entries, this.current))),
    );
    if (scan.damagedAt && !this.opts.recover) {
      throw new EnforcerError(
        "ENF_ERR_STORE_CORRUPT",
        `${path} is damaged at line ${scan.damagedAt.line} (byte ${scan.damagedAt.byte}) with intact commits after it; ` +
          `start once with --store-recover to keep the ${scan.count} commits before it and move the rest aside`,
        { path, ...scan.damagedAt },
      );
    }
    if (scan.validBytes < buf.length) {
      if (scan.damagedAt) {
        const aside = `${path}.damaged-${Date.now()}`;
        await writeFile(aside, buf.subarray(scan.validBytes), { mode: PRIVATE_FILE });
        this.warn(`store: moved ${buf.length - scan.validBytes} damaged journal bytes to ${aside}`);
      } else {
        this.warn(
          `store: dropped a torn, unacknowledged journal tail of ${buf.length - scan.validBytes} bytes`,
        );
      }
      await truncate(path, scan.validBytes);
    }
    this.journal = await ioStep(`open ${path}`, () => open(path, "a", PRIVATE_FILE));
    this.journalBytes = scan.validBytes;
    await this.removeStaleJournals();
  }

  /** Writes a snapshot of everything and starts a fresh journal; each step leaves a state that replays. */
  private async compact(): Promise<void> {
    const dir = this.opts.dir;
    const next = this.gen + 1;
    const nextJournal = await open(this.journalPath(next), "w", PRIVATE_FILE);
    await nextJournal.chmod(PRIVATE_FILE); // a leftover from a crashed compaction keeps its old mode otherwise
    // The maps are copied (pointers only: stored values are immutable), so commits that arrive while the
    // snapshot is written do not change what it holds, and the records are encoded one at a time.
    await writeSnapshot(join(dir, "snapshot.json"), next, this.mem.frozen());
    const old = this.journal;
    this.journal = nextJournal;
    this.journalBytes = 0;
    this.gen = next;
    await old.close();
    await this.removeStaleJournals();
  }

  private async removeStaleJournals(): Promise<void> {
    for (const name of await readdir(this.opts.dir)) {
      const m = /^journal-(\d+)\.log$/.exec(name);
      if (m && Number(m[1]) !== this.gen) await rm(join(this.opts.dir, name), { force: true });
    }
  }

  private journalPath(gen: number): string {
    return join(this.opts.dir, `journal-${gen}.log`);
  }

  private warn(message: string): void {
    this.opts.warn?.(message);
  }
}

async function ioStep<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new EnforcerError("ENF_ERR_STORE_IO", `cannot ${what}: ${(err as Error).message}`);
  }
}
