/**
 * A budget of log lines a minute for what anonymous clients can cause at will (refused requests, TFTP
 * transfers). Past it, lines are left out and counted; the next line written says how many. Without it one
 * client turned each 40-byte request into a 220-byte log line: 1 MB in 0.7 s, without end.
 */
export class LogBudget {
  private start = -Infinity;
  private used = 0;
  private skipped = 0;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a line may be written now; when it may, `skipped` is how many were left out before it. */
  take(): { ok: boolean; skipped: number } {
    const t = this.now();
    if (t - this.start >= 60_000) {
      this.start = t;
      this.used = 0;
    }
    if (this.used >= this.perMinute) {
      this.skipped++;
      return { ok: false, skipped: 0 };
    }
    this.used++;
    const skipped = this.skipped;
    this.skipped = 0;
    return { ok: true, skipped };
  }
}
