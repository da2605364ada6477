import { randomBytes } from "node:crypto";
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
import {
  EtcdClient,
  EtcdCallError,
  type EtcdClientOptions,
  type EtcdCompare,
  type EtcdEvent,
} from "./etcd-client.js";
import { fenceKey, settleLostAnswer, type FenceContext } from "./etcd-fence.js";
import { EtcdHealth } from "./etcd-health.js";
import { keyOf, lastPerKey, parseKey, rangeAll } from "./etcd-keys.js";
import { openError, txnError } from "./etcd-errors.js";
import { readValue } from "./etcd-values.js";
import { ProcessLease } from "./etcd-lease.js";
import { EtcdWatchdog } from "./etcd-watchdog.js";

/** How to open the etcd store. */
export interface EtcdStoreOptions extends EtcdClientOptions {
  /** Every key starts with it (default `/enforcer`): several deployments can share one etcd. */
  prefix?: string;
  /** etcd's `--max-txn-ops` (default 128); one op of each txn is this process's commit marker. */
  maxTxnOps?: number;
  /** How often health is probed (default 1000 ms). */
  probeMs?: number;
  /**
   * How long the watch may stay behind a revision etcd already reported before it is reopened (default
   * 3000 ms). A member that is stopped (SIGSTOP) keeps the stream open and silent.
   */
  watchStallMs?: number;
  /** Where notices go (a watch reopened, a value that is not JSON). */
  warn?: (message: string) => void;
}

interface Pending {
  /** etcd accepted the txn: it is durable, only the watch has not applied it yet. */
  acked?: boolean;
  /** The revision etcd answered for it. */
  rev?: number;
  ops: StoreOp[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Sends of one commit at most: a lost answer that did not apply, or an expired marker lease, is sent again. */
const MAX_ATTEMPTS = 3;

/** How long `close` waits for commits under way. */
const CLOSE_WAIT_MS = 3000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Store port over etcd (docs/store.md "The etcd backend"). Memory holds everything under the prefix,
 * loaded at open and kept by a watch; every change, this process's and others', is applied in revision
 * order. A commit is one txn: a compare per `expect` (the mod revision of the value read, or version 0),
 * its ops, and a put of this process's marker key holding the commit's number, by which the watch tells this
 * process's commits from others' (and an ambiguous txn is settled). `commit` resolves once the watch applied it.
 */
export class EtcdStore implements Store {
  readonly shared = true;
  readonly maxOpsPerCommit: number;
  private readonly mem = new Collections();
  /** The mod revision of each value in memory, by etcd key (what `expect` compares). */
  private readonly revs = new Map<string, number>();
  private readonly feed = new ChangeFeed();
  private readonly pending = new Map<number, Pending>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly prefix: string;
  private readonly markerKey: string;
  private seq = 0;
  private appliedRev = 0;
  private cancelWatch: () => void = () => {};
  private readonly lease: ProcessLease;
  private readonly watchdog: EtcdWatchdog;
  private reloading = false;
  private closed = false;

  private constructor(
    readonly client: EtcdClient,
    private readonly healthProbe: EtcdHealth,
    private readonly opts: EtcdStoreOptions,
  ) {
    this.prefix = (opts.prefix ?? "/enforcer").replace(/\/+$/, "");
    this.markerKey = `${this.prefix}/_commits/${randomBytes(8).toString("hex")}`;
    this.maxOpsPerCommit = (opts.maxTxnOps ?? 128) - 1;
    this.lease = new ProcessLease(client);
    this.watchdog = new EtcdWatchdog(client, this.markerKey, opts.watchStallMs ?? 3000, {
      applied: () => this.appliedRev,
      idle: () => this.closed || this.reloading,
      reopen: (message) => {
        this.opts.warn?.(message);
        this.follow(this.appliedRev);
      },
      regressed: (rev) => this.regressed(rev),
    });
  }

  /** Connects, loads everything under the prefix and starts following it; coded errors when it cannot. */
  static async open(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const client = new EtcdClient(opts);
    const prefix = (opts.prefix ?? "/enforcer").replace(/\/+$/, "");
    const health = new EtcdHealth(client, `${prefix}/_probe`, opts.probeMs ?? 1000, opts.timeoutMs ?? 2000);
    const s = new EtcdStore(client, health, opts);
    try {
      await s.lease.grant();
      await s.load();
      await health.start();
      s.watchdog.start();
    } catch (err) {
      s.cancelWatch();
      void s.lease.stop(false);
      s.watchdog.stop();
      client.close();
      throw openError(err, opts.endpoints);
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

  health(): StoreHealth {
    return this.healthProbe.get();
  }

  onHealth(listener: (h: StoreHealth) => void): () => void {
    return this.healthProbe.on(listener);
  }

  onApplied(listener: AppliedListener): () => void {
    return this.feed.subscribe(listener);
  }

  commit(ops: StoreOp[], expect: readonly StoreExpect[] = []): Promise<void> {
    if (this.closed) return Promise.reject(new EnforcerError("ENF_ERR_STORE_CLOSED", "the store is closed"));
    const h = this.healthProbe.get();
    if (h.state === "unavailable")
      return Promise.reject(
        new EnforcerError("ENF_ERR_STORE_UNAVAILABLE", `etcd is unavailable: ${h.detail ?? ""}`),
      );
    if (ops.length > this.maxOpsPerCommit)
      return Promise.reject(tooLargeError(ops.length, this.maxOpsPerCommit));
    // A value read that memory no longer holds is stale already: no round trip needed to know.
    const unmet = this.mem.unmet(expect);
    if (unmet) return Promise.reject(conflictError(unmet));
    if (ops.length === 0) return Promise.resolve();
    const n = ++this.seq;
    const p = new Promise<void>((resolve, reject) => this.pending.set(n, { ops, resolve, reject }));
    void this.send(n, ops, expect, 0);
    this.inFlight.add(p);
    const done = () => void this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Commits under way finish; one whose revision the watch has not brought within CLOSE_WAIT_MS resolves
    // if etcd accepted it (it is durable) and rejects if that is not known.
    await Promise.race([Promise.allSettled([...this.inFlight]), sleep(CLOSE_WAIT_MS)]);
    for (const [n, p] of this.pending) {
      if (p.acked) this.settle(n);
      else
        this.fail(n, new EnforcerError("ENF_ERR_STORE_UNAVAILABLE", "the store closed before etcd answered"));
    }
    this.cancelWatch();
    this.healthProbe.stop();
    this.watchdog.stop();
    // The marker goes with the lease: a closed process leaves no key behind.
    await this.lease.stop(true);
    this.client.close();
  }

  private key(collection: string, id: string): string {
    return keyOf(this.prefix, collection, id);
  }

  private fail(n: number, err: unknown): void {
    const p = this.pending.get(n);
    if (!p) return;
    this.pending.delete(n);
    p.reject(err);
  }

  private async send(
    n: number,
    ops: StoreOp[],
    expect: readonly StoreExpect[],
    attempt: number,
  ): Promise<void> {
    // A re-send (after a lost answer that did not apply) first checks what it expects still holds here.
    const unmet = attempt > 0 ? this.mem.unmet(expect) : undefined;
    if (unmet) return this.fail(n, conflictError(unmet));
    const keys = expect.map((e) => this.key(e.collection, e.id));
    const compares: EtcdCompare[] = expect.map((e, i) => {
      const key = keys[i] as string;
      const rev = this.revs.get(key);
      // Absent here and in etcd, or a value etcd holds that was left out (parse): absent, at that revision.
      if (e.value === undefined) return rev === undefined ? { key, version: 0 } : { key, modRevision: rev };
      return { key, modRevision: rev ?? 0 };
    });
    // This send's fence is absent: once settleLostAnswer puts it, this txn can no longer apply.
    const fence = fenceKey(this.markerKey, n, attempt);
    compares.push({ key: fence, version: 0 });
    const success = lastPerKey(ops).map((o) =>
      o.op === "put"
        ? { put: { key: this.key(o.collection, o.id), value: JSON.stringify(o.value) } }
        : { del: { key: this.key(o.collection, o.id) } },
    );
    success.push({
      put: { key: this.markerKey, value: String(n), ...this.lease.field() },
    });
    // What the watch had applied before the call: a linearizable answer is never below it (else: regressed).
    const appliedBefore = this.appliedRev;
    try {
      const r = await this.client.txn(
        compares,
        success,
        keys.map((key) => ({ range: { key } })),
      );
      if (!r.succeeded) {
        // The failure branch read each expected key: the first whose revision moved is the one to name.
        const i = compares.slice(0, keys.length).findIndex((c, j) => {
          const now = r.ranges[j]?.[0];
          return "version" in c ? now !== undefined : now?.modRevision !== c.modRevision;
        });
        return this.fail(n, conflictError(expect[Math.max(i, 0)] as StoreExpect));
      }
      // Normally the watch applied it already or will; a reload after compaction may have read it instead.
      const p = this.pending.get(n);
      if (p) Object.assign(p, { acked: true, rev: r.revision });
      if (r.revision < appliedBefore)
        this.regressed(r.revision); // the reload settles it
      else if (this.appliedRev >= r.revision) this.settle(n);
      else this.watchdog.behind(r.revision);
    } catch (err) {
      const again = attempt < MAX_ATTEMPTS - 1 && !this.closed;
      if (again && err instanceof EtcdCallError && /lease not found/.test(err.message)) {
        await this.lease.grant().catch(() => undefined);
        return this.send(n, ops, expect, attempt + 1);
      }
      const coded = txnError(err);
      if (coded) {
        if (coded.code === "ENF_ERR_STORE_UNAVAILABLE") this.healthProbe.report("unavailable", coded.message);
        return this.fail(n, coded);
      }
      // The answer was lost: the send is fenced, then its outcome is known (etcd-fence.ts).
      const lost = `a commit's answer was lost: ${(err as Error).message}`;
      // Degraded, not unavailable: a lost answer is also what an election looks like; the probe says when
      // etcd stays silent long enough to be unavailable.
      this.healthProbe.report("degraded", lost);
      const applied = await settleLostAnswer(this.fencing(n), fence);
      if (applied instanceof EnforcerError) return this.fail(n, applied);
      if (applied) return;
      // Known not applied, and etcd answers (the fence was written): sent again, the compares still guard it,
      // a bounded number of times. Not gated on the health probe, whose last probe may have hit the dead member.
      if (again) return this.send(n, ops, expect, attempt + 1);
      this.fail(n, new EnforcerError("ENF_ERR_STORE_UNAVAILABLE", `${lost}; it was not applied`));
    }
  }

  /** What settling commit `n`'s lost answer reads of this store. */
  private fencing(n: number): FenceContext {
    return {
      client: this.client,
      lease: this.lease,
      watchdog: this.watchdog,
      waiting: () => this.pending.has(n),
      appliedRev: () => this.appliedRev,
      closed: () => this.closed,
    };
  }

  /** Resolves commit `n` as applied (its ops are in memory, by the watch or a reload). */
  private settle(n: number): void {
    const p = this.pending.get(n);
    if (!p) return;
    this.pending.delete(n);
    p.resolve();
  }

  /**
   * Reads everything under the prefix (in pages, at one revision) and makes memory equal to it, feeding the
   * differences as ops so the indexes follow; then watches from the revision after. At open memory is empty;
   * after a compaction (the watch could not resume) it holds what the watch had applied.
   */
  private async load(): Promise<void> {
    const { kvs, revision } = await rangeAll(this.client, this.prefix);
    const seen = new Set<string>();
    const ops: StoreOp[] = [];
    let marker: string | undefined;
    for (const kv of kvs) {
      if (kv.key === this.markerKey) marker = kv.value;
      const at = parseKey(this.prefix, kv.key);
      if (!at) continue;
      seen.add(kv.key);
      if (this.revs.get(kv.key) === kv.modRevision) continue;
      this.revs.set(kv.key, kv.modRevision);
      const value = readValue(kv.key, kv.value, at, this.opts.warn);
      if (value !== undefined) ops.push({ op: "put", ...at, value });
      else if (this.mem.map(at.collection).has(at.id)) ops.push({ op: "del", ...at });
    }
    for (const key of [...this.revs.keys()]) {
      if (seen.has(key)) continue;
      const at = parseKey(this.prefix, key);
      this.revs.delete(key);
      if (at) ops.push({ op: "del", ...at });
    }
    this.appliedRev = revision;
    if (ops.length > 0) {
      this.mem.apply(ops);
      this.feed.emit(ops);
    }
    if (marker !== undefined) this.settle(Number(marker));
    // Commits etcd accepted at or before the revision read are in memory now (their marker may be overwritten).
    for (const [k, p] of this.pending) if (p.rev !== undefined && p.rev <= revision) this.settle(k);
    // From the revision loaded, not the one after (etcd-watch.ts says why); applyRevision skips it.
    this.follow(revision);
  }

  /** Watches everything under the prefix from `fromRev`, the last revision applied (a compacted one: reload). */
  private follow(fromRev: number): void {
    this.cancelWatch();
    this.cancelWatch = this.client.watch(`${this.prefix}/`, fromRev, {
      onEvents: (events) => this.onEvents(events),
      onError: (err, compactedTo) => {
        if (this.closed) return;
        if (compactedTo === undefined) return this.opts.warn?.(`etcd watch: ${err.message} (reopening)`);
        this.opts.warn?.(`etcd watch: ${err.message}: reloading everything under ${this.prefix}`);
        void this.reload();
      },
    });
  }

  private async reload(): Promise<void> {
    this.reloading = true;
    this.watchdog.clear();
    try {
      while (!this.closed) {
        try {
          return await this.load();
        } catch (err) {
          this.opts.warn?.(`etcd reload failed: ${(err as Error).message} (again in 1 s)`);
          await sleep(1000);
        }
      }
    } finally {
      this.reloading = false;
    }
  }

  /**
   * etcd answered a revision below the one this process applied: it lost its history (started again on an
   * empty data directory, or restored from an older snapshot). The watch would wait for revisions it has
   * already passed and hear nothing, and every compare would name old revisions: everything is read again
   * (every value fed anew, what etcd no longer holds deleted).
   */
  private regressed(rev: number): void {
    if (this.reloading || this.closed) return;
    this.opts.warn?.(
      `etcd is at revision ${rev}, below the ${this.appliedRev} applied here (data wiped or restored?): reloading everything under ${this.prefix}`,
    );
    for (const key of this.revs.keys()) this.revs.set(key, -1);
    void this.reload();
  }

  /** Applies whole revisions in order; one already applied (a reopened watch) is skipped. */
  private onEvents(events: EtcdEvent[]): void {
    let i = 0;
    while (i < events.length) {
      const rev = (events[i] as EtcdEvent).modRevision;
      let j = i;
      while (j < events.length && (events[j] as EtcdEvent).modRevision === rev) j++;
      if (rev > this.appliedRev) this.applyRevision(rev, events.slice(i, j));
      i = j;
    }
  }

  private applyRevision(rev: number, events: EtcdEvent[]): void {
    this.appliedRev = rev;
    const markerEvent = events.find((e) => e.key === this.markerKey && e.type === "put");
    const n = markerEvent ? Number(markerEvent.value) : 0;
    const mine = this.pending.get(n);
    let ops: StoreOp[] = [];
    for (const e of events) {
      const at = parseKey(this.prefix, e.key);
      if (!at) continue;
      if (e.type === "del") {
        this.revs.delete(e.key);
        if (!mine) ops.push({ op: "del", ...at });
        continue;
      }
      this.revs.set(e.key, rev);
      if (mine) continue;
      const value = readValue(e.key, e.value, at, this.opts.warn);
      if (value !== undefined) ops.push({ op: "put", ...at, value });
      // A value left out is absent here: memory must not keep the one it replaced.
      else if (this.mem.map(at.collection).has(at.id)) ops.push({ op: "del", ...at });
    }
    // This process's own commit: memory takes the caller's very values (what a later `expect` names).
    if (mine) ops = mine.ops;
    if (ops.length > 0) {
      this.mem.apply(ops);
      this.feed.emit(ops);
    }
    if (mine) this.settle(n);
  }
}
