/**
 * Counts events per client address in fixed one-minute windows. Used for the open boot endpoints (every
 * request counts) and for failed authentications (guesses count). Old windows are swept so the map stays
 * small under a spray of addresses.
 */
export class AddressLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    readonly max: number,
    private readonly windowMs = 60_000,
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
    const w = this.windows.get(ip);
    if (!w || w.resetAt < now) this.windows.set(ip, { count: 1, resetAt: now + this.windowMs });
    else w.count++;
  }

  /** True when `ip` has used up its window. */
  exceeded(ip: string): boolean {
    const w = this.windows.get(ip);
    return !!w && w.resetAt >= Date.now() && w.count >= this.max;
  }

  /** Stops the sweep timer. */
  stop(): void {
    clearInterval(this.sweep);
  }
}
