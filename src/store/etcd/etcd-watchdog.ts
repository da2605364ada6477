import type { EtcdClient } from "./etcd-client.js";

/** What the watchdog asks of the store it guards. */
export interface WatchedStore {
  /** The last revision the watch applied. */
  applied(): number;
  /** True while the store is closed or reloading: nothing to check then. */
  idle(): boolean;
  /** The watch is behind for too long: reopen it (on the endpoint that answered). */
  reopen(message: string): void;
  /** etcd answered a revision below the one applied: it lost its history. */
  regressed(rev: number): void;
}

/**
 * A watch on a member that stopped (SIGSTOP, a hung disk) stays open and says nothing (it still has a
 * leader, as far as it knows): the store would hear no other process's commit and its own commits would never
 * resolve. Each second a linearizable read of `probeKey` (which moves the client off a member that does not
 * answer) tells the revision etcd is at; a watch still behind a revision after `stallMs` is reopened.
 */
export class EtcdWatchdog {
  /** A revision etcd reported that the watch had not reached yet, and since when (ms). */
  private lag: { rev: number; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: EtcdClient,
    private readonly probeKey: string,
    private readonly stallMs: number,
    private readonly store: WatchedStore,
  ) {}

  /** etcd is at `rev` at least (a txn's answer, a read): the watch must get there soon. */
  behind(rev: number): void {
    const applied = this.store.applied();
    if (rev > applied && (!this.lag || this.lag.rev <= applied)) this.lag = { rev, at: Date.now() };
  }

  /** Forgets the lag (a reload reads everything anyway). */
  clear(): void {
    this.lag = undefined;
  }

  /** Checks every second (or every `stallMs` when shorter). */
  start(): void {
    let asking = false;
    this.timer = setInterval(
      () => {
        if (asking || this.store.idle()) return;
        const applied = this.store.applied();
        if (this.lag && applied >= this.lag.rev) this.lag = undefined;
        if (this.lag && Date.now() - this.lag.at > this.stallMs) {
          const message = `etcd watch: no change heard up to revision ${this.lag.rev} for ${this.stallMs} ms (at ${applied}): reopening it on ${this.client.endpoint}`;
          this.lag = undefined;
          return this.store.reopen(message);
        }
        asking = true;
        this.client
          .range(this.probeKey, { limit: 1 })
          .then((r) => (r.revision < applied ? this.store.regressed(r.revision) : this.behind(r.revision)))
          .catch(() => undefined)
          .finally(() => (asking = false));
      },
      Math.min(1000, this.stallMs),
    );
    this.timer.unref();
  }

  /** Stops checking. */
  stop(): void {
    clearInterval(this.timer);
  }
}
