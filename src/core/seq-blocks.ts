import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import { COLLECTIONS } from "../store/collections.js";
import type { Store } from "../store/store.js";

/** The shared mark: the highest event seq any instance has claimed (or, before issue 15, issued). */
export interface SeqMark {
  lastSeq: number;
}
/** The mark's id in the retention collection. */
export const SEQ_MARK_ID = "events";

/**
 * Seqs one instance claims at once on a shared store. One claim is one engine commit (an etcd txn), paid
 * once per this many events (a boot records 2 to 4). An instance holds the block in use and the next one,
 * so a burst of at least a block's worth of events never waits for the engine (a storm of 1000 boots/s
 * records ~3000 events/s: a claim has a third of a second). A restart leaves up to two blocks unused: seqs
 * are unique, not dense, and replay follows the apply order, so gaps and the spread between instances'
 * numbers cost nothing (docs/store.md "Several instances").
 */
export const SEQ_BLOCK = 1024;

/** Retry pauses for a claim: a conflict (another instance claimed; our memory may lag) and an outage. */
const CONFLICT_PAUSE_MS = 5;
const OUTAGE_PAUSE_MS = 500;

interface Block {
  next: number;
  end: number;
}

/**
 * Event seqs unique across instances sharing a store. An instance claims a block of seqs by a commit that
 * moves the shared mark and expects it as read (a conflict: someone claimed first, claim again), and keeps
 * the next block claimed before the current one runs out, so `take` stays synchronous. With no block left
 * (the store unreachable for longer than a block lasts) `take` throws ENF_ERR_STORE_UNAVAILABLE.
 */
export class SeqBlocks {
  private readonly blocks: Block[] = [];
  private claiming = false;
  /** Set once the store refused a claim as closed: nothing more is claimed. */
  private closed = false;
  private waiters: (() => void)[] = [];

  /** `floor`: the highest seq stored (events copied from a store that had no mark are above it). */
  constructor(
    private readonly store: Store,
    private readonly floor: () => number,
    private readonly size = SEQ_BLOCK,
  ) {
    this.refill();
  }

  /** The next seq of this instance's blocks; claims the one after in the background. */
  take(): number {
    const b = this.blocks[0];
    if (!b) {
      throw new EnforcerError(
        "ENF_ERR_STORE_UNAVAILABLE",
        "no event sequence numbers are claimed: the shared store has not answered a claim yet",
      );
    }
    const seq = b.next++;
    if (b.next > b.end) {
      this.blocks.shift();
      this.refill();
    }
    return seq;
  }

  /** Resolves once a block is claimed (at start: before the first event can be recorded). */
  ready(): Promise<void> {
    if (this.blocks.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Keeps two blocks: the one in use and the next, so `take` never waits for the engine. */
  private refill(): void {
    if (this.claiming || this.closed || this.blocks.length >= 2) return;
    this.claiming = true;
    void this.claim().finally(() => {
      this.claiming = false;
      this.refill();
    });
  }

  private async claim(): Promise<void> {
    while (!this.closed) {
      const mark = this.store.get<SeqMark>(COLLECTIONS.retention, SEQ_MARK_ID);
      const from = Math.max(mark?.lastSeq ?? 0, this.floor(), this.blocks.at(-1)?.end ?? 0);
      const next: SeqMark = { lastSeq: from + this.size };
      try {
        await this.store.commit(
          [{ op: "put", collection: COLLECTIONS.retention, id: SEQ_MARK_ID, value: next }],
          [{ collection: COLLECTIONS.retention, id: SEQ_MARK_ID, value: mark }],
        );
        this.blocks.push({ next: from + 1, end: from + this.size });
        for (const w of this.waiters.splice(0)) w();
        return;
      } catch (err) {
        if (isEnforcerError(err, "ENF_ERR_STORE_CLOSED")) {
          this.closed = true;
          return;
        }
        // A conflict: another instance claimed first, and its mark may not be in our memory yet.
        const conflict = isEnforcerError(err, "ENF_ERR_STORE_CONFLICT");
        // An outage's retries must not keep a process alive that has nothing else to do; a conflict's must
        // (one that is waiting for its first block would otherwise end).
        await new Promise<void>((r) => {
          const timer = setTimeout(r, conflict ? CONFLICT_PAUSE_MS * (1 + Math.random()) : OUTAGE_PAUSE_MS);
          if (!conflict) timer.unref();
        });
      }
    }
  }
}
