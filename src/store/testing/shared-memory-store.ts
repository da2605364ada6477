import { EnforcerError } from "../../domain/errors.js";
import {
  ChangeFeed,
  Collections,
  conflictError,
  tooLargeError,
  type AppliedListener,
  type Store,
  type StoreExpect,
  type StoreHealth,
  type StoreOp,
} from "../store.js";

const key = (collection: string, id: string) => `${collection}\u0000${id}`;

interface Accepted {
  rev: number;
  ops: StoreOp[];
}

/**
 * A FAKE shared backend for tests, shaped like etcd: one engine holds the data with a revision per key;
 * each `view()` is what one Enforcer process would hold (its own copies of the values, parsed from JSON),
 * follows every accepted commit asynchronously in engine order, and checks a commit's `expect` in the engine
 * by the revision of the value it read. `setAvailable(false)` is a lost quorum.
 */
export class SharedMemoryEngine {
  private readonly data = new Map<string, { json: string; rev: number }>();
  private rev = 0;
  private readonly views = new Set<SharedMemoryStore>();
  private available = true;

  /** `maxOpsPerCommit`: etcd's --max-txn-ops default. */
  constructor(readonly maxOpsPerCommit = 128) {}

  /** A new process's view: it starts from everything the engine holds (etcd's range), then follows. */
  view(): SharedMemoryStore {
    const v = new SharedMemoryStore(
      this,
      [...this.data].map(([k, e]) => ({ k, ...e })),
    );
    this.views.add(v);
    return v;
  }

  /** Loses (false) or regains (true) the quorum: commits reject at once while it is lost. */
  setAvailable(on: boolean): void {
    if (on === this.available) return;
    this.available = on;
    for (const v of this.views) v.setHealth(on ? "ok" : "unavailable");
  }

  /** @internal A view's commit reaching the engine: checked and applied atomically, or refused. */
  accept(ops: StoreOp[], expect: readonly { k: string; rev: number }[]): Accepted {
    if (!this.available)
      throw new EnforcerError("ENF_ERR_STORE_UNAVAILABLE", "the shared store has no quorum (fake)");
    expect.forEach((e, index) => {
      if ((this.data.get(e.k)?.rev ?? 0) !== e.rev)
        throw new EnforcerError("ENF_ERR_STORE_CONFLICT", "changed since read (engine)", { index });
    });
    const rev = ++this.rev;
    const copy = ops.map((o) => (o.op === "put" ? { ...o, value: JSON.stringify(o.value) } : o));
    for (const o of copy) {
      if (o.op === "put") this.data.set(key(o.collection, o.id), { json: o.value as string, rev });
      else this.data.delete(key(o.collection, o.id));
    }
    // Every view hears it later, in this order (a watch), each with its own parsed copy.
    for (const v of this.views) v.deliver(rev, copy);
    return { rev, ops: copy };
  }

  /** @internal */
  forget(v: SharedMemoryStore): void {
    this.views.delete(v);
  }
}

/** One process's view of a SharedMemoryEngine (see there); made by `engine.view()`. */
export class SharedMemoryStore implements Store {
  readonly shared = true;
  readonly maxOpsPerCommit: number;
  private readonly mem = new Collections();
  /** The engine revision of each value in memory (what `expect` compares). */
  private readonly revs = new Map<string, number>();
  private readonly feed = new ChangeFeed();
  private readonly healthFeed = new Set<(h: StoreHealth) => void>();
  private h: StoreHealth = { state: "ok", since: new Date().toISOString() };
  /** Revisions accepted for this view's own commits, resolved when this view has applied them. */
  private readonly waiting = new Map<number, () => void>();
  private inFlight = new Set<Promise<void>>();
  private closed = false;
  private held: [number, StoreOp[]][] | undefined;

  constructor(
    private readonly engine: SharedMemoryEngine,
    start: { k: string; json: string; rev: number }[],
  ) {
    this.maxOpsPerCommit = engine.maxOpsPerCommit;
    for (const e of start) {
      const [collection, id] = e.k.split("\u0000") as [string, string];
      this.mem.map(collection).set(id, JSON.parse(e.json));
      this.revs.set(e.k, e.rev);
    }
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

  commit(ops: StoreOp[], expect: readonly StoreExpect[] = []): Promise<void> {
    if (this.closed) return Promise.reject(new EnforcerError("ENF_ERR_STORE_CLOSED", "the store is closed"));
    if (this.h.state === "unavailable")
      return Promise.reject(
        new EnforcerError("ENF_ERR_STORE_UNAVAILABLE", "the shared store has no quorum (fake)"),
      );
    if (ops.length > this.maxOpsPerCommit)
      return Promise.reject(tooLargeError(ops.length, this.maxOpsPerCommit));
    // A value read that memory no longer holds is stale already; else the engine compares its revision.
    const unmet = this.mem.unmet(expect);
    if (unmet) return Promise.reject(conflictError(unmet));
    if (ops.length === 0) return Promise.resolve();
    const revs = expect.map((e) => ({
      k: key(e.collection, e.id),
      rev: this.revs.get(key(e.collection, e.id)) ?? 0,
    }));
    const p = new Promise<void>((resolve, reject) => {
      // The round trip to the engine: other views' commits may reach it first.
      setImmediate(() => {
        try {
          const { rev } = this.engine.accept(ops, revs);
          this.waiting.set(rev, resolve);
        } catch (err) {
          const lost = isConflict(err) ? expect[err.details.index as number] : undefined;
          reject(lost ? conflictError(lost) : err);
        }
      });
    });
    this.inFlight.add(p);
    const done = () => void this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  /** Holds back what the engine sends this view (a slow watch) until `resume`: it reads old values. */
  pause(): void {
    this.held ??= [];
  }

  /** Applies what was held back, in engine order, and follows the engine again. */
  resume(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [rev, ops] of held) this.deliver(rev, ops);
  }

  /** @internal The engine's watch: applies an accepted commit on a later turn, in engine order. */
  deliver(rev: number, ops: StoreOp[]): void {
    if (this.held) {
      this.held.push([rev, ops]);
      return;
    }
    setImmediate(() => {
      const parsed = ops.map((o) => (o.op === "put" ? { ...o, value: JSON.parse(o.value as string) } : o));
      this.mem.apply(parsed);
      for (const o of parsed) {
        if (o.op === "put") this.revs.set(key(o.collection, o.id), rev);
        else this.revs.delete(key(o.collection, o.id));
      }
      this.feed.emit(parsed);
      this.waiting.get(rev)?.();
      this.waiting.delete(rev);
    });
  }

  /** @internal */
  setHealth(state: StoreHealth["state"]): void {
    this.h = { state, since: new Date().toISOString() };
    for (const l of this.healthFeed) l(this.h);
  }

  onApplied(listener: AppliedListener): () => void {
    return this.feed.subscribe(listener);
  }
  health(): StoreHealth {
    return this.h;
  }
  onHealth(listener: (h: StoreHealth) => void): () => void {
    this.healthFeed.add(listener);
    return () => void this.healthFeed.delete(listener);
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.engine.forget(this);
  }
}

function isConflict(err: unknown): err is EnforcerError {
  return err instanceof EnforcerError && err.code === "ENF_ERR_STORE_CONFLICT";
}
