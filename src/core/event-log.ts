import type { MachineEvent, MachineEventKind } from "../domain/events.js";
import type { Store, StoreOp } from "../store/store.js";
import { COLLECTIONS } from "../store/collections.js";

/** Listener for events once they are durable (the live stream and metrics hang here later). */
export type EventListener = (e: MachineEvent) => void;

/** The record that keeps sequence numbers rising after the newest events were pruned and the server restarted. */
interface SeqMark {
  lastSeq: number;
}
const SEQ_MARK_ID = "events";
/** Histories this short are never trimmed as events come (no cap is below 16, and trimming keeps 16 slack). */
const TRIM_FROM = 32;

/**
 * Machine histories. Each event is a store op committed together with the change it describes, so the
 * history never disagrees with the state. Retention deletes old events (pruneOps); sequence numbers are
 * never reused.
 */
export class EventLog {
  private nextSeq = 1;
  private readonly byMachine = new Map<string, number[]>();
  /** Every kept seq, ascending, for replay; deleted ones linger (in `dropped`) until a rebuild is worth it. */
  private order: number[] = [];
  private dropped = new Set<number>();
  private readonly listeners = new Set<EventListener>();
  /** The highest seq published (its commit resolved): replay stops there, so no client sees a number a crash could reuse. */
  private durable = 0;

  /**
   * `perMachine`: the history kept for a machine, enforced as events are published, not only by the
   * retention pass. Anything that writes an event per request (an agent report with new facts, say) could
   * otherwise add events without limit in the ten minutes between passes: a discovery key anyone can get
   * reported ~700 times a second, 0.7 KB of memory each. Asked only for a machine past TRIM_FROM events.
   */
  constructor(
    private readonly store: Store,
    private readonly perMachine: (machine: string) => number = () => Infinity,
  ) {
    const all = [...store.all<MachineEvent>(COLLECTIONS.events)].sort((a, b) => a.seq - b.seq);
    for (const e of all) this.index(e);
    const mark = store.get<SeqMark>(COLLECTIONS.retention, SEQ_MARK_ID);
    if (mark) this.nextSeq = Math.max(this.nextSeq, mark.lastSeq + 1);
    this.durable = this.nextSeq - 1;
  }

  /** Builds an event and the op that stores it; the caller commits the op with its change. */
  record(
    kind: MachineEventKind,
    machine: string,
    at: string,
    extra: Pick<MachineEvent, "config" | "detail"> = {},
  ): { event: MachineEvent; op: StoreOp } {
    const event: MachineEvent = { seq: this.nextSeq++, at, machine, kind, ...extra };
    this.index(event);
    return { event, op: { op: "put", collection: COLLECTIONS.events, id: seqId(event.seq), value: event } };
  }

  /**
   * Tells listeners about events whose commit has resolved, then trims the histories they grew past
   * `perMachine` (by a slack, so trimming is one commit per many events, not one per event).
   */
  publish(events: MachineEvent[]): void {
    for (const e of events) if (e.seq > this.durable) this.durable = e.seq;
    for (const e of events) for (const l of this.listeners) l(e);
    this.trim(new Set(events.map((e) => e.machine)));
  }

  /** Subscribes to durable events; returns the unsubscribe function. */
  subscribe(l: EventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The highest sequence number recorded so far. */
  lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** The highest sequence number whose commit has resolved (what a replay may hand out). */
  durableSeq(): number {
    return this.durable;
  }

  /**
   * Every kept event after `seq` up to the durable one, oldest first, optionally for one machine (pruned
   * ones are gone). An event applied in memory but not yet on disk is left to the live stream: a crash
   * before its fsync would hand its number to another event.
   */
  since(seq: number, machine?: string): MachineEvent[] {
    if (machine)
      return this.forMachine(machine, seq, Number.MAX_SAFE_INTEGER).filter((e) => e.seq <= this.durable);
    const out: MachineEvent[] = [];
    for (let i = firstAfter(this.order, seq); i < this.order.length; i++) {
      const s = this.order[i]!;
      if (s > this.durable) break;
      const e = this.dropped.has(s) ? undefined : this.store.get<MachineEvent>(COLLECTIONS.events, seqId(s));
      if (e) out.push(e);
    }
    return out;
  }

  /** How many events are kept. */
  count(): number {
    return this.order.length - this.dropped.size;
  }

  /** True when every kept event of the machine is of one of these kinds (or it has none). */
  onlyKinds(machine: string, kinds: ReadonlySet<string>): boolean {
    for (const s of this.byMachine.get(machine) ?? []) {
      const kind = this.store.get<MachineEvent>(COLLECTIONS.events, seqId(s))?.kind;
      if (!kind || !kinds.has(kind)) return false;
    }
    return true;
  }

  /**
   * The seqs retention would delete: each machine's beyond its newest `perMachine`, and every event before
   * `cutoff` (ISO time). Events are recorded in time order, so the age scan stops at the first young one.
   */
  prunable(perMachine: number, cutoff: string): number[] {
    const out = new Set<number>();
    for (const seqs of this.byMachine.values())
      for (let i = 0; i < seqs.length - perMachine; i++) out.add(seqs[i]!);
    for (const s of this.order) {
      if (this.dropped.has(s)) continue;
      const e = this.store.get<MachineEvent>(COLLECTIONS.events, seqId(s));
      if (!e) continue;
      if (e.at >= cutoff) break;
      out.add(s);
    }
    return [...out].sort((a, b) => a - b);
  }

  /** Forgets events from the indexes and answers the ops that delete them (after the seq mark). */
  pruneOps(seqs: readonly number[]): StoreOp[] {
    const ops: StoreOp[] = [];
    const byMachine = new Map<string, Set<number>>();
    for (const s of seqs) {
      const e = this.store.get<MachineEvent>(COLLECTIONS.events, seqId(s));
      if (!e) continue;
      let set = byMachine.get(e.machine);
      if (!set) byMachine.set(e.machine, (set = new Set()));
      set.add(s);
      this.dropped.add(s);
      ops.push({ op: "del", collection: COLLECTIONS.events, id: seqId(s) });
    }
    for (const [machine, set] of byMachine) {
      const left = (this.byMachine.get(machine) ?? []).filter((s) => !set.has(s));
      if (left.length > 0) this.byMachine.set(machine, left);
      else this.byMachine.delete(machine);
    }
    this.compactOrder();
    return ops.length === 0 ? ops : [this.markOp(), ...ops];
  }

  /**
   * The ops that delete a machine's oldest events beyond its newest `keep`: retention's per-machine bound,
   * applied as an agent's report is recorded, since agents can report far faster than retention runs.
   */
  trimOps(machine: string, keep: number): StoreOp[] {
    const seqs = this.byMachine.get(machine) ?? [];
    return seqs.length > keep ? this.pruneOps(seqs.slice(0, seqs.length - keep)) : [];
  }

  /** The ops that delete a whole machine's history (an unknown machine being dropped), with the mark. */
  dropMachineOps(machine: string): StoreOp[] {
    const seqs = this.byMachine.get(machine) ?? [];
    this.byMachine.delete(machine);
    for (const s of seqs) this.dropped.add(s);
    this.compactOrder();
    if (seqs.length === 0) return [];
    const dels = seqs.map((s): StoreOp => ({ op: "del", collection: COLLECTIONS.events, id: seqId(s) }));
    return [this.markOp(), ...dels];
  }

  /**
   * Records the highest seq issued so far. It goes first in any commit that deletes events, so a restart
   * after the newest events were deleted never hands out a number again.
   */
  private markOp(): StoreOp {
    const mark: SeqMark = { lastSeq: this.lastSeq() };
    return { op: "put", collection: COLLECTIONS.retention, id: SEQ_MARK_ID, value: mark };
  }

  /** A machine's history, oldest first, optionally after a sequence number. */
  forMachine(machine: string, afterSeq = 0, limit = 1000): MachineEvent[] {
    const seqs = this.byMachine.get(machine) ?? [];
    const out: MachineEvent[] = [];
    for (const s of seqs) {
      if (s <= afterSeq) continue;
      const e = this.store.get<MachineEvent>(COLLECTIONS.events, seqId(s));
      if (e) out.push(e);
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * Deletes the oldest events of machines over their cap, in a commit of its own. Only committed events are
   * deleted (pruneOps skips what the store does not hold yet). A failed commit leaves them to retention.
   */
  private trim(machines: Set<string>): void {
    const seqs: number[] = [];
    for (const m of machines) {
      const list = this.byMachine.get(m) ?? [];
      if (list.length <= TRIM_FROM) continue;
      const cap = this.perMachine(m);
      const slack = Math.max(16, Math.ceil(cap / 8));
      if (list.length > cap + slack) seqs.push(...list.slice(0, list.length - cap));
    }
    if (seqs.length === 0) return;
    const ops = this.pruneOps(seqs);
    if (ops.length > 0) this.store.commit(ops).catch(() => undefined);
  }

  /** Rebuilds the replay order once deleted seqs are half of it: amortised O(1) per deletion. */
  private compactOrder(): void {
    if (this.dropped.size < 1024 || this.dropped.size * 2 < this.order.length) return;
    this.order = this.order.filter((s) => !this.dropped.has(s));
    this.dropped = new Set();
  }

  private index(e: MachineEvent): void {
    this.nextSeq = Math.max(this.nextSeq, e.seq + 1);
    this.order.push(e.seq);
    let list = this.byMachine.get(e.machine);
    if (!list) this.byMachine.set(e.machine, (list = []));
    list.push(e.seq);
  }
}

/** The index of the first seq in the ascending list greater than `seq`. */
function firstAfter(list: readonly number[], seq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Zero-padded so ids sort like numbers. */
function seqId(seq: number): string {
  return String(seq).padStart(12, "0");
}
