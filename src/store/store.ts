import { EnforcerError } from "../domain/errors.js";

/** One change in a commit: put a JSON value under collection/id, or delete it. */
export type StoreOp =
  | { op: "put"; collection: string; id: string; value: unknown }
  | { op: "del"; collection: string; id: string };

/**
 * What a commit states about a key as it was read: it still holds exactly `value` (the object `get` returned,
 * compared by identity), or, with `value: undefined`, it is absent.
 */
export interface StoreExpect {
  collection: string;
  id: string;
  value: unknown;
}

/**
 * ok: commits go through. degraded: the engine answers slowly or a member is gone, commits still go through
 * (after retries). unavailable: no quorum or no engine reachable: commits reject at once with
 * ENF_ERR_STORE_UNAVAILABLE (503) and reads serve what memory holds.
 */
export interface StoreHealth {
  state: "ok" | "degraded" | "unavailable";
  /** When the store entered this state (ISO 8601). */
  since: string;
  detail?: string;
}

/**
 * The storage port. Every implementation passes the contract suite (src/store/testing/store-contract.ts;
 * docs/store.md "What a backend must do"):
 * - Reads are synchronous, from memory. A local store (`shared: false`) applies all of a commit's ops, in
 *   order, before `commit` returns (the next read sees them; a put then a del of one key leaves it absent);
 *   a shared store applies them once its engine accepted them, in the engine's order, before `commit`
 *   resolves. Either way `commit` resolves once they are durable. Exclusion between concurrent writers comes
 *   from `expect`, never from "my commit is visible right after the call".
 * - A commit's `expect` is checked atomically with its ops; one that does not hold rejects the commit with
 *   ENF_ERR_STORE_CONFLICT (nothing applied, nothing heard). A commit of more than `maxOpsPerCommit` ops
 *   rejects with ENF_ERR_STORE_TOO_LARGE; while `health()` is "unavailable", with ENF_ERR_STORE_UNAVAILABLE.
 * - A commit is atomic: after a restart, all its ops are there or none.
 * - The change feed (`onApplied`) hears each applied commit once, in apply order (a local store: synchronously
 *   inside `commit`); never an empty commit, never a refused one.
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
  /**
   * Applies ops atomically; resolves once they survive a crash (see the contract above). If any of `expect`
   * does not hold (here, or in the shared engine when the commit reaches it) it rejects with
   * ENF_ERR_STORE_CONFLICT and changes nothing: no memory, no feed.
   */
  commit(ops: StoreOp[], expect?: readonly StoreExpect[]): Promise<void>;
  /** True when other processes share this store's data (etcd): memory follows their commits too. */
  readonly shared: boolean;
  /**
   * The most ops one commit may hold (Infinity for the file store; etcd's --max-txn-ops, 128 by default).
   * A larger commit rejects with ENF_ERR_STORE_TOO_LARGE; callers that delete in bulk chunk by it.
   */
  readonly maxOpsPerCommit: number;
  /** How the store reaches its data now (the file store is always "ok"). */
  health(): StoreHealth;
  /** Hears every change of health; returns the unsubscribe function. */
  onHealth(listener: (h: StoreHealth) => void): () => void;
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

  /** The first of `expect` that does not hold now (the stored value is not that very object), if any. */
  unmet(expect: readonly StoreExpect[]): StoreExpect | undefined {
    for (const e of expect) if (this.maps.get(e.collection)?.get(e.id) !== e.value) return e;
    return undefined;
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

/** The error of a commit whose expectation `e` did not hold. */
export function conflictError(e: StoreExpect): EnforcerError {
  return new EnforcerError(
    "ENF_ERR_STORE_CONFLICT",
    `${e.collection}/${e.id} changed since it was read (another request or instance wrote it first)`,
    { collection: e.collection, id: e.id },
  );
}

/** The error of a commit larger than the store takes at once. */
export function tooLargeError(ops: number, max: number): EnforcerError {
  return new EnforcerError("ENF_ERR_STORE_TOO_LARGE", `a commit of ${ops} ops is over the store's ${max}`, {
    ops,
    max,
  });
}

/** The health of a store that is always reachable (a local one): "ok" since it opened. */
export function alwaysOk(): { health: () => StoreHealth; onHealth: () => () => void } {
  const h: StoreHealth = Object.freeze({ state: "ok", since: new Date().toISOString() });
  return { health: () => h, onHealth: () => () => undefined };
}
