import type { MachineEvent, MachineEventKind } from "../domain/events.js";
import type { Store, StoreExpect, StoreOp } from "../store/store.js";
import type { EventLog } from "./event-log.js";

/** The ops and events a helper built for someone else's change (a machine created on the way, say). */
export interface ChangePart {
  ops: StoreOp[];
  events: MachineEvent[];
  /** What the part expects of keys as it read them (a ChangeSet's `expect`), carried into the whole. */
  expected?: StoreExpect[];
}

/**
 * One change of state: its store ops and the events that describe it, committed together (so the history
 * never disagrees with the state) and published only once durable (so no listener hears of a change a
 * crash could undo). Every service writes through it instead of repeating record, commit, publish.
 */
export class ChangeSet implements ChangePart {
  readonly ops: StoreOp[] = [];
  readonly events: MachineEvent[] = [];
  /** What the commit states about keys as they were read (the store refuses it if one changed meanwhile). */
  readonly expected: StoreExpect[] = [];

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
   * States that a key still holds `value` (the object read) or, with undefined, is absent: if not when the
   * commit reaches the store (another request or instance wrote it first), the commit rejects with
   * ENF_ERR_STORE_CONFLICT and nothing of it is stored or published.
   */
  expect(collection: string, id: string, value: unknown): this {
    this.expected.push({ collection, id, value });
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
    if (part.expected) this.expected.push(...part.expected);
    return this;
  }

  /** Commits every op at once, with what the log's companions add (nothing to write: no commit), then publishes the events. */
  async commit(): Promise<void> {
    for (const part of this.log.companionsOf(this.events)) this.include(part);
    if (this.ops.length > 0)
      await this.store.commit(this.ops, this.expected.length > 0 ? this.expected : undefined);
    this.log.publish(this.events);
  }
}
