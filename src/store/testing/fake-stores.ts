import { EnforcerError } from "../../domain/errors.js";
import {
  ChangeFeed,
  Collections,
  alwaysOk,
  conflictError,
  tooLargeError,
  type AppliedListener,
  type Store,
  type StoreExpect,
  type StoreHealth,
  type StoreOp,
} from "../store.js";

/** An in-memory store for tests: commits land at once and nothing survives the process. */
export class MemoryStore implements Store {
  protected readonly mem = new Collections();
  private readonly feed = new ChangeFeed();
  /** Every commit in order, so tests can assert what was written together. */
  readonly commits: StoreOp[][] = [];
  private closed = false;
  private readonly ok = alwaysOk();
  readonly shared = false;

  /**
   * Starts with the given values already present (the "fixed" fake); `maxOpsPerCommit` lets a test check
   * that callers chunk bulk writes as a shared backend would need.
   */
  constructor(
    seed: StoreOp[] = [],
    readonly maxOpsPerCommit = Infinity,
  ) {
    this.mem.apply(seed);
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
  async commit(ops: StoreOp[], expect?: readonly StoreExpect[]): Promise<void> {
    if (this.closed) throw new EnforcerError("ENF_ERR_STORE_CLOSED", "the store is closed");
    if (ops.length > this.maxOpsPerCommit) throw tooLargeError(ops.length, this.maxOpsPerCommit);
    const unmet = expect && this.mem.unmet(expect);
    if (unmet) throw conflictError(unmet);
    if (ops.length === 0) return;
    this.mem.apply(ops);
    this.commits.push(ops);
    this.feed.emit(ops);
  }
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
    this.closed = true;
  }
}

/**
 * A store whose disk has failed: reads work from the seed, every commit fails with ENF_ERR_STORE_IO and
 * changes nothing (the fail-stop state of the contract, docs/store.md "What a backend must do").
 */
export class BrokenStore extends MemoryStore {
  override async commit(_ops: StoreOp[], _expect?: readonly StoreExpect[]): Promise<void> {
    throw new EnforcerError("ENF_ERR_STORE_IO", "journal write failed: EIO (broken fake store)");
  }
}
