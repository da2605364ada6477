import { randomBytes } from "node:crypto";
import type { Election, Leadership } from "../election.js";
import type { EtcdClient } from "./etcd-client.js";

/** Lease TTL (s): another process takes over at most this long after the leader vanished. */
const TTL_S = 3;
/** How often the lease is renewed and, while following, the key tried. */
const TICK_MS = 1000;
/**
 * The lead ends this long before the lease could end on etcd, counted from when the last renewal that
 * succeeded was sent: a renewal that hangs (a partition, a frozen member) must not keep a leader past it.
 */
const MARGIN_MS = 1000;

/**
 * Leader election over etcd: the leader holds `<prefix>/_leader/<name>` under its lease (TTL 3 s, renewed
 * each second), created only where absent (`version == 0`). A renewal that fails steps down at once, before
 * the lease can expire on etcd and another process take over: two leaders never overlap.
 */
export class EtcdElection implements Election {
  constructor(
    private readonly client: EtcdClient,
    private readonly prefix: string,
    private readonly ttlS = TTL_S,
    private readonly tickMs = TICK_MS,
  ) {}

  campaign(name: string): Leadership {
    return new EtcdCampaign(
      this.client,
      `${this.prefix.replace(/\/+$/, "")}/_leader/${name}`,
      this.ttlS,
      this.tickMs,
    );
  }
}

class EtcdCampaign implements Leadership {
  private leader = false;
  private lease: string | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the lead ends unless a renewal succeeds first (see MARGIN_MS), and the timer that ends it. */
  private validUntil = 0;
  private expiry: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(leader: boolean) => void>();
  private readonly me = randomBytes(8).toString("hex");

  constructor(
    private readonly client: EtcdClient,
    private readonly key: string,
    private readonly ttlS: number,
    private readonly tickMs: number,
  ) {
    void this.tick();
  }

  isLeader(): boolean {
    return this.leader && Date.now() < this.validUntil;
  }

  onChange(cb: (leader: boolean) => void): () => void {
    this.listeners.add(cb);
    return () => void this.listeners.delete(cb);
  }

  async resign(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.expiry);
    this.set(false);
    const lease = this.lease;
    this.lease = undefined;
    // Revoking deletes the key: a follower takes over on its next try instead of after the TTL.
    if (lease) await this.client.leaseRevoke(lease).catch(() => undefined);
  }

  /** A renewal sent at `until - ttl + margin` succeeded: the lead may last until `until`, and ends there. */
  private renewed(until: number): void {
    this.validUntil = until;
    clearTimeout(this.expiry);
    this.expiry = setTimeout(() => this.set(false), Math.max(0, until - Date.now()));
    this.expiry.unref();
  }

  private set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    for (const l of this.listeners) l(leader);
  }

  private async tick(): Promise<void> {
    const started = Date.now();
    try {
      await this.step();
    } catch {
      // A renewal or a try that failed: not leading (the lease may be gone); try again next tick.
      this.set(false);
      this.lease = undefined;
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), Math.max(0, this.tickMs - (Date.now() - started)));
    this.timer.unref();
  }

  private async step(): Promise<void> {
    const sent = Date.now();
    let ttl: number;
    if (this.lease) {
      ttl = await this.client.leaseKeepAlive(this.lease);
      if (ttl <= 0) throw new Error("lease expired");
    } else {
      const granted = await this.client.leaseGrant(this.ttlS);
      this.lease = granted.id;
      ttl = granted.ttl;
    }
    this.renewed(sent + ttl * 1000 - MARGIN_MS);
    if (this.stopped) return;
    if (this.leader) return;
    const r = await this.client.txn(
      [{ key: this.key, version: 0 }],
      [{ put: { key: this.key, value: this.me, lease: this.lease } }],
      [{ range: { key: this.key } }],
    );
    // Our own key from an earlier try whose answer was lost counts as won too.
    this.set(r.succeeded || r.ranges[0]?.[0]?.value === this.me);
  }
}
