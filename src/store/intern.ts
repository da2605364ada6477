/**
 * Records read back from disk repeat the same short strings thousands of times (a rack's vendor, product,
 * CPU model, NIC driver, labels, kernel URLs), and JSON.parse makes a copy of each. Walking the parsed
 * values once and pointing every equal string at one copy cut the heap of 10,000 machines by a third
 * (docs/footprint.md). The pool lives only while a store loads: later commits are few and short-lived.
 */
export class StringPool {
  private readonly pool = new Map<string, string>();

  /** Replaces, in place, every short string inside `value` by the pool's copy; returns `value`. */
  intern<T>(value: T): T {
    if (value !== null && typeof value === "object") this.walk(value as Record<string, unknown>);
    return value;
  }

  private one(s: string): string {
    // Long strings (provisioning files, secrets) are seldom repeated; hashing them would only cost time.
    if (s.length > MAX_INTERNED) return s;
    const known = this.pool.get(s);
    if (known !== undefined) return known;
    this.pool.set(s, s);
    return s;
  }

  private walk(o: Record<string, unknown> | unknown[]): void {
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const v = o[i];
        if (typeof v === "string") o[i] = this.one(v);
        else if (v !== null && typeof v === "object") this.walk(v as Record<string, unknown>);
      }
      return;
    }
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (typeof v === "string") o[k] = this.one(v);
      else if (v !== null && typeof v === "object") this.walk(v as Record<string, unknown>);
    }
  }
}

/** Strings longer than this are kept as parsed. */
const MAX_INTERNED = 256;
