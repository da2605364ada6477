import type { EtcdClient } from "./etcd-client.js";

/** How long the process's lease lives without a renewal (s), and how often it is renewed (ms). */
const TTL_S = 10;
const RENEW_MS = 3000;

/**
 * The lease a store's own keys live under (its commit marker, its fences), so a process that dies leaves
 * none behind for long. Renewed every 3 s; granted again when etcd has lost it (a TTL of 0).
 */
export class ProcessLease {
  /** The lease's id, once granted. */
  id: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly client: EtcdClient) {}

  /** Grants a new lease and keeps it alive from now on. */
  async grant(): Promise<void> {
    const { id } = await this.client.leaseGrant(TTL_S);
    this.id = id;
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      const lease = this.id;
      if (!lease) return;
      this.client.leaseKeepAlive(lease).then(
        (ttl) => (ttl > 0 ? undefined : this.grant().catch(() => undefined)),
        () => undefined,
      );
    }, RENEW_MS);
    this.timer.unref();
  }

  /** A put's lease field: `{lease}` once granted, else nothing. */
  field(): { lease?: string } {
    return this.id ? { lease: this.id } : {};
  }

  /** Stops renewing and, when `revoke`, ends the lease (its keys go with it). */
  async stop(revoke: boolean): Promise<void> {
    clearInterval(this.timer);
    if (revoke && this.id) await this.client.leaseRevoke(this.id).catch(() => undefined);
  }
}
