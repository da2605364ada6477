import type { MachineEvent, MachineEventKind } from "../domain/events.js";
import type { Store, StoreOp } from "../store/store.js";
import { COLLECTIONS } from "../store/collections.js";
import { ApplyOrder } from "./apply-order.js";
import type { ChangePart } from "./change-set.js";
import { SEQ_MARK_ID, SeqBlocks, type SeqMark } from "./seq-blocks.js";

/** Listener for events once they are durable (the live stream and metrics hang here later). */
export type EventListener = (e: MachineEvent) => void;

/**
 * Asked with the events of a change about to be committed: ops and events to commit with it (recorded
 * through `record`), or nothing. The boot timeline writes a provisioned attempt's summary in the
 * completion's commit this way: one fdatasync instead of two (SD cards: docs/store.md, "Writes per boot").
 */
export type EventCompanion = (events: readonly MachineEvent[]) => ChangePart | undefined;

/** Histories this short are never trimmed as events come (no cap is below 16, and trimming keeps 16 slack). */
const TRIM_FROM = 32;

/**
 * Machine histories. Each event is a store op committed together with the change it describes, so the
 * history never disagrees with the state. Retention deletes old events (pruneOps); sequence numbers are
 * never reused. The indexes follow the store's change feed (and a scan at start), never the op builders:
 * an event is indexed when its commit is applied, by this process or (with a shared backend) another.
 * With a shared store, seqs come from blocks claimed on the shared mark (SeqBlocks), every applied event is
 * published when applied (whichever instance recorded it), and replay follows the apply order (ApplyOrder).
 */
export class EventLog {
  /** The next seq to hand out: allocated as an event is recorded, before its commit. */
  private nextSeq = 1;
  /** Every stored event's seq to its machine: what is kept, and whose history a deletion shortens. */
  private readonly live = new Map<number, string>();
  /** Each machine's stored seqs, ascending. */
  private readonly byMachine = new Map<string, number[]>();
  /** Every stored seq, ascending, for replay; deleted ones linger (not in `live`) until a rebuild is worth it. */
  private order: number[] = [];
  private readonly listeners = new Set<EventListener>();
  private readonly companions: EventCompanion[] = [];
  /** The highest seq published (its commit resolved): replay stops there, so no client sees a number a crash could reuse. */
  private durable = 0;
  /** A shared store's seq blocks and apply order; undefined for a local store (one process, one counter). */
  private readonly blocks: SeqBlocks | undefined;
  private readonly applyOrder: ApplyOrder | undefined;
  /** The highest seq stored (a shared store's claims start above it). */
  private maxSeq = 0;

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
    if (store.shared) this.applyOrder = new ApplyOrder();
    const all = [...store.all<MachineEvent>(COLLECTIONS.events)].sort((a, b) => a.seq - b.seq);
    for (const e of all) this.added(e);
    const mark = store.get<SeqMark>(COLLECTIONS.retention, SEQ_MARK_ID);
    if (mark) this.nextSeq = Math.max(this.nextSeq, mark.lastSeq + 1);
    this.durable = this.nextSeq - 1;
    store.onApplied((ops) => this.applied(ops));
    if (store.shared) this.blocks = new SeqBlocks(store, () => this.maxSeq);
  }

  /** Resolves once events can be recorded (a shared store: the first block of seqs is claimed). */
  ready(): Promise<void> {
    return this.blocks?.ready() ?? Promise.resolve();
  }

  /**
   * Builds an event and the op that stores it; the caller commits the op with its change. Only the seq is
   * taken here: the event enters the indexes when (and if) its commit is applied.
   */
  record(
    kind: MachineEventKind,
    machine: string,
    at: string,
    extra: Pick<MachineEvent, "config" | "detail"> = {},
  ): { event: MachineEvent; op: StoreOp } {
    const seq = this.blocks ? this.blocks.take() : this.nextSeq++;
    const event: MachineEvent = { seq, at, machine, kind, ...extra };
    return { event, op: { op: "put", collection: COLLECTIONS.events, id: seqId(event.seq), value: event } };
  }

  /**
   * Tells listeners about events whose commit has resolved, then trims the histories they grew past
   * `perMachine` (by a slack, so trimming is one commit per many events, not one per event).
   */
  publish(events: readonly MachineEvent[]): void {
    // In seq order, whatever order the change recorded them in (a report records its conflict's events before
    // its own): a live client resumes from the last id it got, and one heard late would be heard again.
    const sorted = [...events].sort((a, b) => a.seq - b.seq);
    // A shared store's listeners heard them when applied (an engine accepts only what is durable).
    if (!this.applyOrder) {
      for (const e of sorted) if (e.seq > this.durable) this.durable = e.seq;
      this.tell(sorted);
    }
    this.trim(new Set(sorted.map((e) => e.machine)));
  }

  /** The change is durable: a listener that throws (a bug) must not fail the request that made it, nor keep
   * the other listeners (live streams, long polls) from hearing of it. */
  private tell(events: readonly MachineEvent[]): void {
    for (const e of events)
      for (const l of this.listeners) {
        try {
          l(e);
        } catch (err) {
          process.emitWarning(`events: a listener threw: ${(err as Error)?.message ?? String(err)}`);
        }
      }
  }

  /** Subscribes to durable events; returns the unsubscribe function. */
  subscribe(l: EventListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Adds a companion: what it answers for a change's events is committed with that change. */
  accompany(c: EventCompanion): void {
    this.companions.push(c);
  }

  /** What the companions add to a change with these events (its own events are not asked about again). */
  companionsOf(events: readonly MachineEvent[]): ChangePart[] {
    if (events.length === 0) return [];
    const parts: ChangePart[] = [];
    for (const c of this.companions) {
      const part = c(events);
      if (part) parts.push(part);
    }
    return parts;
  }

  /** The highest sequence number recorded so far. */
  lastSeq(): number {
    return this.applyOrder ? this.maxSeq : this.nextSeq - 1;
  }

  /** The highest sequence number whose commit has resolved (what a replay may hand out). */
  durableSeq(): number {
    return this.applyOrder ? this.applyOrder.last() : this.durable;
  }

  /** True when the event `seq` comes after the replay cursor `cursor` (a shared store: in apply order). */
  isAfter(seq: number, cursor: number): boolean {
    return this.applyOrder ? this.applyOrder.isAfter(seq, cursor) : seq > cursor;
  }

  /**
   * Every kept event after `seq` up to the durable one, oldest first, optionally for one machine (pruned
   * ones are gone). An event applied in memory but not yet on disk is left to the live stream: a crash
   * before its fsync would hand its number to another event.
   */
  since(seq: number, machine?: string): MachineEvent[] {
    if (this.applyOrder) return this.stored(this.applyOrder.after(seq), machine);
    if (machine)
      return this.forMachine(machine, seq, Number.MAX_SAFE_INTEGER).filter((e) => e.seq <= this.durable);
    const out: MachineEvent[] = [];
    for (let i = firstAfter(this.order, seq); i < this.order.length; i++) {
      const s = this.order[i]!;
      if (s > this.durable) break;
      const e = this.live.has(s) ? this.store.get<MachineEvent>(COLLECTIONS.events, seqId(s)) : undefined;
      if (e) out.push(e);
    }
    return out;
  }

  /** The kept events of these seqs, in that order, optionally of one machine. */
  private stored(seqs: readonly number[], machine?: string): MachineEvent[] {
    const out: MachineEvent[] = [];
    for (const s of seqs) {
      if (machine ? this.live.get(s) !== machine : !this.live.has(s)) continue;
      const e = this.store.get<MachineEvent>(COLLECTIONS.events, seqId(s));
      if (e) out.push(e);
    }
    return out;
  }

  /** How many events are kept. */
  count(): number {
    return this.live.size;
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
    // A shared store's seqs are not in time order across instances; its apply order nearly is.
    for (const s of this.applyOrder?.after(0) ?? this.order) {
      if (!this.live.has(s)) continue;
      const e = this.store.get<MachineEvent>(COLLECTIONS.events, seqId(s));
      if (!e) continue;
      if (e.at >= cutoff) break;
      out.add(s);
    }
    return [...out].sort((a, b) => a - b);
  }

  /**
   * The ops that delete these events (those still stored), after the seq mark. The indexes forget them when
   * the commit is applied, so a commit that fails leaves them indexed (and to the next pass).
   */
  pruneOps(seqs: readonly number[]): StoreOp[] {
    const ops: StoreOp[] = [];
    for (const s of seqs)
      if (this.live.has(s)) ops.push({ op: "del", collection: COLLECTIONS.events, id: seqId(s) });
    return ops.length === 0 || this.blocks ? ops : [this.markOp(), ...ops];
  }

  /**
   * The ops that delete a machine's oldest events beyond its newest `keep`: retention's per-machine bound,
   * applied as an agent's report is recorded, since agents can report far faster than retention runs.
   * `adding`: the machine's events the same commit stores (recorded, so not indexed yet), counted as kept.
   */
  trimOps(machine: string, keep: number, adding = 0): StoreOp[] {
    const seqs = this.byMachine.get(machine) ?? [];
    const over = seqs.length + adding - keep;
    return over > 0 ? this.pruneOps(seqs.slice(0, Math.min(over, seqs.length))) : [];
  }

  /** The ops that delete a whole machine's history (an unknown machine being dropped), with the mark. */
  dropMachineOps(machine: string): StoreOp[] {
    const seqs = this.byMachine.get(machine) ?? [];
    if (seqs.length === 0) return [];
    const dels = seqs.map((s): StoreOp => ({ op: "del", collection: COLLECTIONS.events, id: seqId(s) }));
    // A shared store's mark is above every seq already: claims move it, deletions never need to.
    return this.blocks ? dels : [this.markOp(), ...dels];
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

  /** Keeps the indexes from the store's change feed: events stored and deleted, the seq mark of another process. */
  private applied(ops: readonly StoreOp[]): void {
    const gone = new Map<string, Set<number>>();
    let heard: MachineEvent[] | undefined;
    for (const o of ops) {
      if (o.collection === COLLECTIONS.retention && o.op === "put" && o.id === SEQ_MARK_ID && !this.blocks)
        this.nextSeq = Math.max(this.nextSeq, (o.value as SeqMark).lastSeq + 1);
      if (o.collection !== COLLECTIONS.events) continue;
      if (o.op === "put") {
        const e = o.value as MachineEvent;
        if (this.applyOrder && !this.live.has(e.seq)) (heard ??= []).push(e);
        this.added(e);
        continue;
      }
      const seq = Number(o.id);
      const machine = this.live.get(seq);
      if (machine === undefined) continue; // deleted already (retention and a trim both chose it)
      this.live.delete(seq);
      let set = gone.get(machine);
      if (!set) gone.set(machine, (set = new Set()));
      set.add(seq);
    }
    for (const [machine, set] of gone) {
      const left = (this.byMachine.get(machine) ?? []).filter((s) => !set.has(s));
      if (left.length > 0) this.byMachine.set(machine, left);
      else this.byMachine.delete(machine);
    }
    if (gone.size > 0) this.compactOrder();
    // A shared store: every event is told when applied, in apply order, whichever instance recorded it.
    if (heard) this.tell(heard);
  }

  /** Rebuilds the replay order once deleted seqs are half of it: amortised O(1) per deletion. */
  private compactOrder(): void {
    const stale = this.order.length - this.live.size;
    if (stale < 1024 || stale * 2 < this.order.length) return;
    this.order = this.order.filter((s) => this.live.has(s));
    this.applyOrder?.compact((s) => this.live.has(s));
  }

  /** Indexes a stored event. Commits may apply out of seq order (two changes under way): the lists stay sorted. */
  private added(e: MachineEvent): void {
    // A shared store's next seq comes from this instance's block, never from what others recorded.
    if (!this.blocks) this.nextSeq = Math.max(this.nextSeq, e.seq + 1);
    if (e.seq > this.maxSeq) this.maxSeq = e.seq;
    if (this.live.has(e.seq)) return; // stored again: an event never changes machine
    this.applyOrder?.add(e.seq);
    this.live.set(e.seq, e.machine);
    insertSorted(this.order, e.seq);
    let list = this.byMachine.get(e.machine);
    if (!list) this.byMachine.set(e.machine, (list = []));
    insertSorted(list, e.seq);
  }
}

/** Inserts `seq` into an ascending list: at the end, nearly always. */
function insertSorted(list: number[], seq: number): void {
  if (list.length === 0 || list[list.length - 1]! < seq) list.push(seq);
  else {
    const i = firstAfter(list, seq);
    if (list[i - 1] !== seq) list.splice(i, 0, seq);
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
