import { randomUUID } from "node:crypto";
import type { Command, CommandType } from "../domain/command.js";
import { EnforcerError } from "../domain/errors.js";
import type { MachineEvent } from "../domain/events.js";
import { parseMac } from "../domain/mac.js";
import type { Store, StoreOp } from "../store/store.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import { COLLECTIONS } from "../store/collections.js";
import { type Clock } from "./ports.js";

/** The command queue: operators enqueue, agents (next issue) take, send and report outcomes. */
export class CommandService {
  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly machines: MachineService,
  ) {}

  /** Queues a command for a known machine; the event lands in its history. */
  async enqueue(machine: string, type: CommandType): Promise<Command> {
    const m = this.machines.get(machine);
    const now = this.clock.now().toISOString();
    const c: Command = {
      id: randomUUID(),
      machine: m.id,
      type,
      state: "queued",
      createdAt: now,
      updatedAt: now,
    };
    const r = this.events.record("command.queued", m.id, now, { detail: { command: c.id, type } });
    await this.store.commit([
      ...this.machines.keepOps(m),
      { op: "put", collection: COLLECTIONS.commands, id: c.id, value: c },
      r.op,
    ]);
    this.events.publish([r.event]);
    return c;
  }

  /**
   * A merge: queued and sent commands of the machine merged away move to the machine that stays, whose
   * agents now poll and acknowledge for its MACs; left behind they would stay live, and kept, for good.
   */
  moveLiveOps(from: string, to: string): StoreOp[] {
    return [...this.store.all<Command>(COLLECTIONS.commands)]
      .filter((c) => c.machine === from && (c.state === "queued" || c.state === "sent"))
      .map((c) => ({ op: "put", collection: COLLECTIONS.commands, id: c.id, value: { ...c, machine: to } }));
  }

  /**
   * Fails a forgotten machine's queued and sent commands: never pruned while live, a reboot queued long ago
   * would otherwise reach whatever boots with the MAC later.
   */
  failLiveOps(machine: string, at: string): { ops: StoreOp[]; events: MachineEvent[] } {
    const ops: StoreOp[] = [];
    const events: MachineEvent[] = [];
    for (const c of [...this.store.all<Command>(COLLECTIONS.commands)]) {
      if (c.machine !== machine || (c.state !== "queued" && c.state !== "sent")) continue;
      const next: Command = { ...c, state: "failed", detail: "machine forgotten", updatedAt: at };
      const r = this.events.record("command.failed", machine, at, {
        detail: { command: c.id, detail: "machine forgotten" },
      });
      ops.push({ op: "put", collection: COLLECTIONS.commands, id: c.id, value: next }, r.op);
      events.push(r.event);
    }
    return { ops, events };
  }

  /** A command by id; throws ENF_ERR_COMMAND_NOT_FOUND. */
  get(id: string): Command {
    const c = this.store.get<Command>(COLLECTIONS.commands, id);
    if (!c) throw new EnforcerError("ENF_ERR_COMMAND_NOT_FOUND", `no command ${id}`, { command: id });
    return c;
  }

  /** Commands, newest first, optionally for one machine or in one state. */
  list(filter: { machine?: string; state?: Command["state"] } = {}): Command[] {
    const machine = filter.machine ? parseMac(filter.machine) : undefined;
    return [...this.store.all<Command>(COLLECTIONS.commands)]
      .filter((c) => (!machine || c.machine === machine) && (!filter.state || c.state === filter.state))
      .reverse();
  }
}
