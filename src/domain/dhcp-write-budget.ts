/**
 * The lease writes `--dhcp server` may make (a token bucket). Each lease write is a journal record and an
 * fdatasync before the answer leaves, and without a bound one client on the boot network made one per packet
 * (hopping between two free addresses, or leasing and releasing: ~270 bytes and a sync each, without end; an
 * SD card's wear). Honest clients write an address at most twice a lease (the grant, a renewal past half of
 * it), so the budget is twice the addresses plus a margin, refilled over one lease time: a whole rack powering
 * up at once fits in it, and past it a request waits for its retransmission.
 */
export class LeaseWriteBudget {
  private tokens: number;
  private at: number;
  private readonly perMs: number;

  constructor(
    readonly capacity: number,
    refillMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.at = now;
    this.perMs = capacity / Math.max(1, refillMs);
  }

  /** The budget for a range of `addresses` and a lease of `leaseMs`. */
  static forRange(addresses: number, leaseMs: number, now: number): LeaseWriteBudget {
    return new LeaseWriteBudget(2 * addresses + 32, leaseMs, now);
  }

  /** Takes one write when there is one left at `now`; false when the budget is spent. */
  take(now: number): boolean {
    this.tokens = Math.min(this.capacity, this.tokens + Math.max(0, now - this.at) * this.perMs);
    this.at = Math.max(this.at, now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
