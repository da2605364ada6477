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
import { EtcdClient, EtcdCallError, type EtcdClientOptions, type EtcdEvent } from "./etcd-client.js";
import { EtcdHealth } from "./etcd-health.js";
import { keyOf, lastPerKey, parseKey, rangeAll } from "./etcd-keys.js";
import { openError, txnError } from "./etcd-errors.js";

/** How to open the etcd store. */
export interface EtcdStoreOptions extends EtcdClientOptions {
  /** Every key starts with it (default `/enforcer`): several deployments can share one etcd. */
  prefix?: string;
  /** etcd's `--max-txn-ops` (default 128); one op of each txn is this process's commit marker. */
  maxTxnOps?: number;
  /** How often health is probed (default 1000 ms). */
  probeMs?: number;
  /**
   * After a txn whose outcome is unknown (sent, then a timeout), how long etcd may still apply it (its own
   * request timeout: 5 s plus two election timeouts, 7 s by default): the commit is settled after that.
   */
  settleMs?: number;
  /** Where notices go (a watch reopened, a value that is not JSON). */
  warn?: (message: string) => void;
}

interface Pending {
  /** etcd accepted the txn: it is durable, only the watch has not applied it yet. */
  acked?: boolean;
  ops: StoreOp[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Sends of one commit at most: a lost answer that did not apply, or an expired marker lease, is sent again. */
const MAX_ATTEMPTS = 3;
/** After a member died under a txn (connection reset), how long before its outcome is read back. */
const RESET_SETTLE_MS = 1000;

/** A commit etcd accepted that the watch has not brought within this long reopens the watch. */
const WATCH_STALL_MS = 3000;
/** How long past its settle time a commit of unknown outcome waits for etcd before it is reported failed. */
const UNKNOWN_MAX_MS = 8000;
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
  private readonly settleMs: number;
  private seq = 0;
  private appliedRev = 0;
  private cancelWatch: () => void = () => {};
  private lease: string | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    readonly client: EtcdClient,
    private readonly healthProbe: EtcdHealth,
    private readonly opts: EtcdStoreOptions,
  ) {
    this.prefix = (opts.prefix ?? "/enforcer").replace(/\/+$/, "");
    this.markerKey = `${this.prefix}/_commits/${randomBytes(8).toString("hex")}`;
    this.maxOpsPerCommit = (opts.maxTxnOps ?? 128) - 1;
    this.settleMs = opts.settleMs ?? 8000;
  }

  /** Connects, loads everything under the prefix and starts following it; coded errors when it cannot. */
  static async open(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const client = new EtcdClient(opts);
    const prefix = (opts.prefix ?? "/enforcer").replace(/\/+$/, "");
    const health = new EtcdHealth(client, `${prefix}/_probe`, opts.probeMs ?? 1000, opts.timeoutMs ?? 2000);
    const s = new EtcdStore(client, health, opts);
    try {
      await s.grantLease();
      await s.load();
      await health.start();
    } catch (err) {
      s.cancelWatch();
      clearInterval(s.leaseTimer);
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
    clearInterval(this.leaseTimer);
    // The marker goes with the lease: a closed process leaves no key behind.
    if (this.lease) await this.client.leaseRevoke(this.lease).catch(() => undefined);
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
    const compares = expect.map((e, i) => {
      const key = keys[i] as string;
      return e.value === undefined ? { key, version: 0 } : { key, modRevision: this.revs.get(key) ?? 0 };
    });
    const success = lastPerKey(ops).map((o) =>
      o.op === "put"
        ? { put: { key: this.key(o.collection, o.id), value: JSON.stringify(o.value) } }
        : { del: { key: this.key(o.collection, o.id) } },
    );
    success.push({
      put: { key: this.markerKey, value: String(n), ...(this.lease ? { lease: this.lease } : {}) },
    });
    const sentAt = Date.now();
    try {
      const r = await this.client.txn(
        compares,
        success,
        keys.map((key) => ({ range: { key } })),
      );
      if (!r.succeeded) {
        // The failure branch read each expected key: the first whose revision moved is the one to name.
        const i = compares.findIndex((c, j) => {
          const now = r.ranges[j]?.[0];
          return "version" in c ? now !== undefined : now?.modRevision !== c.modRevision;
        });
        return this.fail(n, conflictError(expect[Math.max(i, 0)] as StoreExpect));
      }
      // Normally the watch applied it already or will; a reload after compaction may have read it instead.
      if (this.appliedRev >= r.revision) this.settle(n);
      const p = this.pending.get(n);
      if (p) {
        p.acked = true;
        // Accepted but not heard: a watch that went quiet without an error is opened again.
        setTimeout(() => {
          if (this.pending.has(n) && !this.closed && this.appliedRev < r.revision)
            this.follow(this.appliedRev);
        }, WATCH_STALL_MS).unref();
      }
    } catch (err) {
      const again = attempt < MAX_ATTEMPTS - 1 && !this.closed;
      if (again && err instanceof EtcdCallError && /lease not found/.test(err.message)) {
        await this.grantLease().catch(() => undefined);
        return this.send(n, ops, expect, attempt + 1);
      }
      const coded = txnError(err);
      if (coded) {
        if (coded.code === "ENF_ERR_STORE_UNAVAILABLE") this.healthProbe.report("unavailable", coded.message);
        return this.fail(n, coded);
      }
      // The answer was lost. A member that died under the call (reset) is settled after a short wait; a
      // timeout (no quorum, maybe) only once etcd itself has given up on the request.
      const lost = `a commit's answer was lost: ${(err as Error).message}`;
      const reset = err instanceof EtcdCallError && err.failure === "reset";
      this.healthProbe.report(reset ? "degraded" : "unavailable", lost);
      const settleAt = sentAt + (reset ? RESET_SETTLE_MS : this.settleMs);
      const applied = await this.settleAmbiguous(n, settleAt, settleAt + UNKNOWN_MAX_MS);
      if (applied !== false) return;
      // Known not applied: sent again while etcd answers (the compares still guard it), a bounded number of times.
      if (again && this.healthProbe.get().state !== "unavailable")
        return this.send(n, ops, expect, attempt + 1);
      this.fail(n, new EnforcerError("ENF_ERR_STORE_UNAVAILABLE", `${lost}; it was not applied`));
    }
  }

  /** Resolves commit `n` as applied (its ops are in memory, by the watch or a reload). */
  private settle(n: number): void {
    const p = this.pending.get(n);
    if (!p) return;
    this.pending.delete(n);
    p.resolve();
  }

  /**
   * A txn that was sent but whose answer never came may have applied. It is settled by etcd's own order:
   * once etcd can no longer apply it (`settleAt`) and a linearizable read succeeds, the watch is followed up
   * to that read's revision. If the commit's marker came by, it applied (the watch resolved it: true); if
   * not, it never will (false: the caller may send it again). Undefined: rejected, as the store closed or
   * etcd still did not answer at `giveUpAt` (the outcome is unknown: never reported as done).
   */
  private async settleAmbiguous(n: number, settleAt: number, giveUpAt: number): Promise<boolean | undefined> {
    while (this.pending.has(n) && !this.closed) {
      if (Date.now() > giveUpAt) {
        // Still unknown: reported as failed (the caller serves nothing of it), never as done. If it did
        // apply, the watch brings it in like any other change once etcd answers again.
        this.fail(
          n,
          new EnforcerError(
            "ENF_ERR_STORE_UNAVAILABLE",
            "etcd does not answer; the commit may still apply later",
          ),
        );
        return undefined;
      }
      await sleep(Math.max(100, Math.min(1000, settleAt - Date.now())));
      if (Date.now() < settleAt) continue;
      try {
        const r = await this.client.range(this.markerKey);
        if (r.kvs[0]?.value === String(n)) {
          this.settle(n);
          return true;
        }
        const deadline = Date.now() + 10_000;
        while (this.appliedRev < r.revision && Date.now() < deadline && !this.closed) await sleep(20);
        if (!this.pending.has(n)) return true; // the watch brought it
        if (this.appliedRev >= r.revision) return false;
      } catch {
        // still no quorum: ask again
      }
    }
    if (!this.pending.has(n)) return true;
    this.fail(
      n,
      new EnforcerError(
        "ENF_ERR_STORE_UNAVAILABLE",
        "etcd did not answer before the store closed; the commit may or may not be applied",
      ),
    );
    return undefined;
  }

  private async grantLease(): Promise<void> {
    const { id } = await this.client.leaseGrant(10);
    this.lease = id;
    clearInterval(this.leaseTimer);
    this.leaseTimer = setInterval(() => {
      const lease = this.lease;
      if (!lease) return;
      this.client.leaseKeepAlive(lease).then(
        (ttl) => (ttl > 0 ? undefined : this.grantLease().catch(() => undefined)),
        () => undefined,
      );
    }, 3000);
    this.leaseTimer.unref();
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
      const value = this.parse(kv.key, kv.value);
      if (value === undefined) continue;
      ops.push({ op: "put", ...at, value });
      this.revs.set(kv.key, kv.modRevision);
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
    while (!this.closed) {
      try {
        return await this.load();
      } catch (err) {
        this.opts.warn?.(`etcd reload failed: ${(err as Error).message} (again in 1 s)`);
        await sleep(1000);
      }
    }
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
      const value = this.parse(e.key, e.value);
      if (value !== undefined) ops.push({ op: "put", ...at, value });
    }
    // This process's own commit: memory takes the caller's very values (what a later `expect` names).
    if (mine) ops = mine.ops;
    if (ops.length > 0) {
      this.mem.apply(ops);
      this.feed.emit(ops);
    }
    if (mine) this.settle(n);
  }

  private parse(key: string, text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      this.opts.warn?.(`etcd: ${key} does not hold JSON; left out`);
      return undefined;
    }
  }
}
