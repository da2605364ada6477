import type { Mac } from "../domain/mac.js";

/**
 * Which machines were just offered an iPXE loader by the proxy, so that the iPXE that loader starts is told
 * `boot.ipxe` instead of the loader again. An iPXE ROM asked for a loader (label `enforcer.dev/loader`) looks
 * exactly like the iPXE it chains: only the time since the offer and the DHCP transaction id tell them apart
 * (the ROM's own exchange, DISCOVER to its port-4011 REQUEST, keeps one xid; the chained iPXE starts a new one).
 * Kept in memory only: a restart forgets it, which costs at most one more loader fetch.
 */

/** How long after a loader offer the machine's next iPXE is taken for the chained one (a TCG boot needs ~30 s). */
export const LOADER_WINDOW_MS = 120_000;
/** At most this many machines remembered: a flood of invented MACs evicts the oldest, never grows memory. */
export const LOADER_MEMORY_MAX = 4096;

interface Offer {
  xid: number | undefined;
  until: number;
}

/** The bounded, expiring memory of loader offers per MAC. */
export class LoaderOffers {
  private readonly offers = new Map<Mac, Offer>();

  constructor(
    private readonly now: () => number,
    private readonly windowMs = LOADER_WINDOW_MS,
    private readonly max = LOADER_MEMORY_MAX,
  ) {}

  /** Records that `mac` was offered a loader in transaction `xid`. */
  offered(mac: Mac, xid: number | undefined): void {
    // Re-inserted so that Map order stays oldest first: eviction takes the first key.
    this.offers.delete(mac);
    this.offers.set(mac, { xid, until: this.now() + this.windowMs });
    while (this.offers.size > this.max) this.offers.delete(this.offers.keys().next().value!);
  }

  /**
   * Whether a request from `mac` in transaction `xid` comes from the iPXE a loader offer started: an offer
   * within the window, in another transaction (the same one is the ROM's own exchange going on).
   */
  chained(mac: Mac, xid: number | undefined): boolean {
    const o = this.offers.get(mac);
    if (!o) return false;
    if (o.until <= this.now()) {
      this.offers.delete(mac);
      return false;
    }
    return xid === undefined || o.xid === undefined || o.xid !== xid;
  }

  /** How many machines are remembered (for tests and a flood's bound). */
  get size(): number {
    return this.offers.size;
  }
}
