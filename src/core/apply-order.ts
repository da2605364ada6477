/**
 * Event seqs in the order a shared store applied their commits: its engine's order, the same on every
 * instance, unlike the seqs themselves (each instance records from its own block). The replay of a shared
 * store's events follows it, so a client resuming after an event gets what was applied after it, whichever
 * instance recorded it (docs/store.md "Several instances").
 */
export class ApplyOrder {
  /** Seqs, in apply order; deleted ones linger until `compact`. */
  private seqs: number[] = [];
  /** Each seq's place in apply order (a counter: it never changes, so compaction keeps it). */
  private readonly place = new Map<number, number>();
  private n = 0;

  /** Notes a seq as applied now (again: no change). */
  add(seq: number): void {
    if (this.place.has(seq)) return;
    this.place.set(seq, ++this.n);
    this.seqs.push(seq);
  }

  /** The seq applied last (0: none): the cursor meaning "from now on". */
  last(): number {
    return this.seqs.at(-1) ?? 0;
  }

  /** The seqs applied after `cursor`'s event; for a cursor not known here, those with a greater seq. */
  after(cursor: number): number[] {
    const at = this.place.get(cursor);
    if (at === undefined) return this.seqs.filter((s) => s > cursor);
    let lo = 0;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.place.get(this.seqs[mid]!)! <= at) lo = mid + 1;
      else hi = mid;
    }
    return this.seqs.slice(lo);
  }

  /** True when `seq` was applied after `cursor`'s event (an unknown one compares by seq). */
  isAfter(seq: number, cursor: number): boolean {
    const a = this.place.get(seq);
    const b = this.place.get(cursor);
    return a === undefined || b === undefined ? seq > cursor : a > b;
  }

  /** Drops the seqs no longer kept. */
  compact(kept: (seq: number) => boolean): void {
    this.seqs = this.seqs.filter((s) => {
      if (kept(s)) return true;
      this.place.delete(s);
      return false;
    });
  }
}
