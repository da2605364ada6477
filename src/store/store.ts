/** One change in a commit: put a JSON value under collection/id, or delete it. */
export type StoreOp =
  | { op: "put"; collection: string; id: string; value: unknown }
  | { op: "del"; collection: string; id: string };

/**
 * The storage port. Every implementation passes the contract suite (src/store/testing/store-contract.ts;
 * docs/store.md "What a backend must do"):
 * - Reads are synchronous, from memory. `commit` applies all its ops, in order, before it returns (the next
 *   read sees them; a put then a del of one key leaves it absent), and resolves once they are durable.
 * - A commit is atomic: after a restart, all its ops are there or none.
 * - The change feed (`onApplied`) hears each applied commit once, synchronously inside `commit`, in commit
 *   order; never an empty commit, never a refused one.
 * - Refused commits (after `close`: ENF_ERR_STORE_CLOSED; after a failed write: ENF_ERR_STORE_IO) reject
 *   with a coded error and change nothing: no memory, no feed.
 * - A commit whose durable write fails rejects with ENF_ERR_STORE_IO. It was already applied to memory and
 *   heard, so the store is fail-stop from then on: it refuses every later commit with that error and only a
 *   restart (which reads what is durable) takes writes again. Callers publish nothing of a rejected commit.
 * - `close` waits for commits under way; closing twice is fine.
 * Stored values are plain JSON, treated as immutable: callers replace, never mutate. `all` promises no order.
 */
export interface Store {
  /** The value under collection/id, if any. */
  get<T>(collection: string, id: string): T | undefined;
  /** Every value in a collection (in no promised order: a backend may list by key). */
  all<T>(collection: string): IterableIterator<T>;
  /** How many values a collection holds. */
  count(collection: string): number;
  /** Applies ops atomically and at once; resolves once they survive a crash (see the contract above). */
  commit(ops: StoreOp[]): Promise<void>;
  /** Flushes and releases the store; later commits fail with ENF_ERR_STORE_CLOSED. */
  close(): Promise<void>;
  /**
   * The change feed: `listener` gets each commit's ops as soon as they are applied to memory (before they
   * are durable, in commit order), and, with a shared backend, the changes other processes commit. Services
   * keep their indexes from it rather than from the functions that build ops. Returns the unsubscribe function.
   */
  onApplied(listener: AppliedListener): () => void;
}

/** Gets the ops of one applied commit. It must not throw (one that does is reported and skipped) nor commit synchronously. */
export type AppliedListener = (ops: readonly StoreOp[]) => void;

/** The listeners of a store's change feed. */
export class ChangeFeed {
  private readonly listeners = new Set<AppliedListener>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(l: AppliedListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /**
   * Tells every listener about ops just applied. A listener that throws (a bug: the port says it must not) is
   * reported and skipped: the ops are applied already, so stopping here would keep them from the listeners
   * after it and, in the file store, from the disk, while the process went on serving them from memory.
   */
  emit(ops: readonly StoreOp[]): void {
    for (const l of this.listeners) {
      try {
        l(ops);
      } catch (err) {
        process.emitWarning(`store: a change-feed listener threw: ${(err as Error)?.message ?? String(err)}`);
      }
    }
  }
}

/** In-memory collections shared by the file store and the fakes. */
export class Collections {
  private readonly maps = new Map<string, Map<string, unknown>>();

  /** The map for a collection, created on first use. */
  map(collection: string): Map<string, unknown> {
    let m = this.maps.get(collection);
    if (!m) {
      m = new Map();
      this.maps.set(collection, m);
    }
    return m;
  }

  /** Applies ops in order. */
  apply(ops: readonly StoreOp[]): void {
    for (const o of ops) {
      if (o.op === "put") this.map(o.collection).set(o.id, o.value);
      else this.map(o.collection).delete(o.id);
    }
  }

  /** A plain object of every collection, for a snapshot. */
  toJSON(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [name, m] of this.maps) out[name] = Object.fromEntries(m);
    return out;
  }

  /** Each collection's map copied as it is now (the values are shared: they are immutable). */
  frozen(): Map<string, Map<string, unknown>> {
    return new Map([...this.maps].map(([name, m]) => [name, new Map(m)]));
  }

  /** Loads a snapshot made by toJSON. */
  load(data: Record<string, Record<string, unknown>>): void {
    for (const [name, entries] of Object.entries(data)) {
      const m = this.map(name);
      for (const [id, value] of Object.entries(entries)) m.set(id, value);
    }
  }
}
