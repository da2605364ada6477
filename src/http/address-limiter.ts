import { addressKey } from "../domain/address-key.js";

/** Most addresses one limiter tracks; past it, new addresses share one window so a spray cannot grow memory. */
const MAX_ADDRESSES = 100_000;
/** The key new addresses share once MAX_ADDRESSES are tracked. */
const OVERFLOW = "overflow";

/**
 * Counts events per client address in fixed one-minute windows. Used for the open boot endpoints (every
 * request counts) and for failed authentications (guesses count). IPv6 addresses count per /64, which one
 * host can fill at will. Old windows are swept, and the map is capped, so it stays small under a spray.
 */
export class AddressLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    readonly max: number,
    private readonly windowMs = 60_000,
    private readonly maxAddresses = MAX_ADDRESSES,
  ) {
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const [ip, w] of this.windows) if (w.resetAt < now) this.windows.delete(ip);
    }, windowMs);
    this.sweep.unref();
  }

  /** Counts one event for `ip`. */
  hit(ip: string): void {
    const now = Date.now();
    let key = addressKey(ip);
    if (!this.windows.has(key) && this.windows.size >= this.maxAddresses) key = OVERFLOW;
    const w = this.windows.get(key);
    if (!w || w.resetAt < now) this.windows.set(key, { count: 1, resetAt: now + this.windowMs });
    else w.count++;
  }

  /** True when `ip` has used up its window. */
  exceeded(ip: string): boolean {
    const key = addressKey(ip);
    const w =
      this.windows.get(key) ??
      (this.windows.size >= this.maxAddresses ? this.windows.get(OVERFLOW) : undefined);
    return !!w && w.resetAt >= Date.now() && w.count >= this.max;
  }

  /** Stops the sweep timer. */
  stop(): void {
    clearInterval(this.sweep);
  }
}

/** Re-exported: the HTTP limiters and the connection guard count addresses the same way. */
export { addressKey };
