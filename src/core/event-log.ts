import type { MachineEvent, MachineEventKind } from "../domain/events.js";
import type { Store, StoreOp } from "../store/store.js";
import { COLLECTIONS } from "./ports.js";

/** Listener for events once they are durable (the live stream and metrics hang here later). */
export type EventListener = (e: MachineEvent) => void;

/**
 * Machine histories. Each event is a store op committed together with the change it describes, so the
 * history never disagrees with the state.
 */
export class EventLog {
  private nextSeq = 1;
  private readonly byMachine = new Map<string, number[]>();
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly store: Store) {
    for (const e of store.all<MachineEvent>(COLLECTIONS.events)) this.index(e);
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

  /** Tells listeners about events whose commit has resolved. */
  publish(events: MachineEvent[]): void {
    for (const e of events) for (const l of this.listeners) l(e);
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

  /** Every event after `seq`, oldest first, optionally for one machine. */
  since(seq: number, machine?: string): MachineEvent[] {
    if (machine) return this.forMachine(machine, seq, Number.MAX_SAFE_INTEGER);
    const out: MachineEvent[] = [];
    for (let s = seq + 1; s < this.nextSeq; s++) {
      const e = this.store.get<MachineEvent>(COLLECTIONS.events, seqId(s));
      if (e) out.push(e);
    }
    return out;
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

  private index(e: MachineEvent): void {
    this.nextSeq = Math.max(this.nextSeq, e.seq + 1);
    let list = this.byMachine.get(e.machine);
    if (!list) this.byMachine.set(e.machine, (list = []));
    list.push(e.seq);
  }
}

/** Zero-padded so ids sort like numbers. */
function seqId(seq: number): string {
  return String(seq).padStart(12, "0");
}
