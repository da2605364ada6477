import type { MachineEvent, MachineEventKind } from "../domain/events.js";
import type { Store, StoreExpect, StoreOp } from "../store/store.js";
import type { EventLog } from "./event-log.js";

/** The ops and events a helper built for someone else's change (a machine created on the way, say). */
export interface ChangePart {
  ops: StoreOp[];
  events: MachineEvent[];
  /** What the ops were built from, as read: the commit applies only if it still holds (compare-and-swap). */
  expects?: StoreExpect[];
}

/**
 * One change of state: its store ops and the events that describe it, committed together (so the history
 * never disagrees with the state) and published only once durable (so no listener hears of a change a
 * crash could undo). Every service writes through it instead of repeating record, commit, publish.
 */
export class ChangeSet implements ChangePart {
  readonly ops: StoreOp[] = [];
  readonly events: MachineEvent[] = [];
  readonly expects: StoreExpect[] = [];

  constructor(
    private readonly store: Store,
    private readonly log: EventLog,
  ) {}

  /** Adds store ops, in order. */
  op(...ops: StoreOp[]): this {
    this.ops.push(...ops);
    return this;
  }

  /**
   * States that `value` (the object the store returned, or undefined for absent) is still what the store
   * holds under collection/id when this change commits; if not, the commit rejects with
   * ENF_ERR_STORE_CONFLICT and nothing of it applies. This, not the order of calls, is what makes a
   * step exactly-once when several instances share a store.
   */
  expect(collection: string, id: string, value: unknown): this {
    this.expects.push({ collection, id, value });
    return this;
  }

  /** Records an event that is committed with this change; returns it. */
  event(
    kind: MachineEventKind,
    machine: string,
    at: string,
    extra: Pick<MachineEvent, "config" | "detail"> = {},
  ): MachineEvent {
    const r = this.log.record(kind, machine, at, extra);
    this.ops.push(r.op);
    this.events.push(r.event);
    return r.event;
  }

  /** Takes in a part built elsewhere: its ops after the ones so far, its events likewise. */
  include(part: ChangePart): this {
    this.ops.push(...part.ops);
    this.events.push(...part.events);
    if (part.expects) this.expects.push(...part.expects);
    return this;
  }

  /** Commits every op at once, with what the log's companions add (nothing to write: no commit), then publishes the events. */
  async commit(): Promise<void> {
    for (const part of this.log.companionsOf(this.events)) this.include(part);
    if (this.ops.length > 0) await this.store.commit(this.ops, this.expects);
    this.log.publish(this.events);
  }
}
