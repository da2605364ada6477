import { randomUUID } from "node:crypto";
import type { Command, CommandType } from "../domain/command.js";
import { EnforcerError } from "../domain/errors.js";
import { parseMac } from "../domain/mac.js";
import type { Store, StoreOp } from "../store/store.js";
import { ChangeSet, type ChangePart } from "./change-set.js";
import { changeCommand } from "./command-change.js";
import { CommandDelivery } from "./command-delivery.js";
import type { CommandExecutor } from "./command-executor.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import { OpenCommands } from "./open-commands.js";
import { COLLECTIONS } from "../store/collections.js";
import { type Clock } from "./ports.js";

/**
 * The command queue: operators enqueue; executors (the agents, later power control) deliver; pull agents
 * take with their long poll (command-polls.ts).
 */
export class CommandService {
  /** Each machine's queued and sent commands, from the store's change feed. */
  readonly open: OpenCommands;
  private readonly delivery: CommandDelivery;

  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly machines: MachineService,
  ) {
    this.open = new OpenCommands(store);
    this.delivery = new CommandDelivery(store, events, clock, this.open);
  }

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
    const cs = new ChangeSet(this.store, this.events).op(...this.machines.keepOps(m), {
      op: "put",
      collection: COLLECTIONS.commands,
      id: c.id,
      value: c,
    });
    cs.event("command.queued", m.id, now, { detail: { command: c.id, type } });
    await cs.commit();
    return c;
  }

  /** Adds a way to deliver commands (an agent system, later IPMI, Redfish, Wake-on-LAN); earlier ones first. */
  addExecutor(executor: CommandExecutor): void {
    this.delivery.add(executor);
  }

  /** Delivers every queued command an executor reaches; returns how many. */
  deliverQueued(): Promise<number> {
    return this.delivery.deliverQueued();
  }

  /**
   * A merge: queued and sent commands of the machine merged away move to the machine that stays, whose
   * agents now poll and acknowledge for its MACs; left behind they would stay live, and kept, for good.
   */
  moveLiveOps(from: string, to: string): StoreOp[] {
    return this.open
      .of(from)
      .map((c) => ({ op: "put", collection: COLLECTIONS.commands, id: c.id, value: { ...c, machine: to } }));
  }

  /**
   * Fails a forgotten machine's queued and sent commands: never pruned while live, a reboot queued long ago
   * would otherwise reach whatever boots with the MAC later.
   */
  failLiveOps(machine: string, at: string): ChangePart {
    const cs = new ChangeSet(this.store, this.events);
    for (const c of this.open.of(machine))
      changeCommand(cs, c, { type: "abandon" }, at, { detail: "machine forgotten" });
    return cs;
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
