import { isEnforcerError } from "../domain/errors.js";
import type { Command, CommandInput } from "../domain/command.js";
import { COLLECTIONS } from "../store/collections.js";
import type { Store } from "../store/store.js";
import { ChangeSet } from "./change-set.js";
import { changeCommand } from "./command-change.js";
import type { CommandExecutor, CommandRoute, Delivery } from "./command-executor.js";
import type { EventLog } from "./event-log.js";
import type { OpenCommands } from "./open-commands.js";
import type { Clock } from "./ports.js";

/** Longest outcome detail kept from an executor. */
const MAX_DETAIL = 200;

/**
 * Delivery: each queued command goes through the first executor that reaches its machine (marked sent
 * first, then its outcome); one that none reaches stays queued for its machine's agent to poll. Machines
 * are delivered to concurrently, each machine's commands one after the other in the order they were
 * queued: a slow BMC (or a hung agent) holds only its own machine's commands.
 */
export class CommandDelivery {
  private readonly executors: CommandExecutor[] = [];
  /** Machines a delivery loop is working on: a later pass leaves them to it, so their order holds. */
  private readonly active = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly open: OpenCommands,
  ) {}

  /** Adds an executor; earlier ones are asked first. */
  add(executor: CommandExecutor): void {
    this.executors.push(executor);
  }

  /**
   * Delivers every queued command an executor reaches; returns how many it delivered. Resolves when the
   * machines it started on are done; a pass while another is under way takes the machines that one is not
   * working on, so a caller may start a pass for each new command without waiting for a slow one.
   */
  async deliverQueued(): Promise<number> {
    const machines = new Set(
      this.open
        .all()
        .filter((c) => c.state === "queued")
        .map((c) => c.machine),
    );
    const loops = [...machines].filter((m) => !this.active.has(m)).map((m) => this.deliverTo(m));
    return (await Promise.all(loops)).reduce((a, b) => a + b, 0);
  }

  /** One machine's queued commands, oldest first, until none is left or no executor reaches it. */
  private async deliverTo(machine: string): Promise<number> {
    this.active.add(machine);
    let n = 0;
    const tried = new Set<string>();
    try {
      for (;;) {
        // Read again each time: a command queued meanwhile is taken in its turn; one a poll took is not.
        const c = this.open.of(machine).find((x) => x.state === "queued" && !tried.has(x.id));
        if (!c) return n;
        tried.add(c.id);
        const route = this.route(c.machine);
        if (!route) return n; // nothing reaches it yet: its commands stay queued
        if (await this.deliverOne(c, route)) n++;
      }
    } finally {
      this.active.delete(machine);
    }
  }

  /** Marks one command sent through `route`, delivers it and records its outcome; false if another took it. */
  private async deliverOne(c: Command, route: CommandRoute): Promise<boolean> {
    const id = c.id;
    // Expecting the command as read: of two instances delivering it, one marks it sent, the other skips it.
    const sent = await this.change(c, { type: "send" }, { agent: route.via }).catch((err: unknown) => {
      if (isEnforcerError(err, "ENF_ERR_STORE_CONFLICT")) return undefined;
      throw err;
    });
    if (!sent) return false;
    const d: Delivery = await route
      .deliver(sent)
      .catch((err: Error) => ({ state: "failed" as const, detail: err.message }));
    // Read again: while the executor worked, the command may have ended (its machine forgotten) or moved
    // (a merge). An ended one keeps its one ending; a moved one is reported where it is now.
    const now = this.store.get<Command>(COLLECTIONS.commands, id);
    if (now?.state !== "sent") return true;
    await this.change(
      now,
      { type: "report", outcome: d.state },
      { detail: d.detail.slice(0, MAX_DETAIL) },
    ).catch((err: unknown) => {
      // Changed meanwhile through another instance (an agent's own ack, a merge): that change stands.
      if (!isEnforcerError(err, "ENF_ERR_STORE_CONFLICT")) throw err;
    });
    return true;
  }

  private route(machine: string): CommandRoute | undefined {
    for (const e of this.executors) {
      const r = e.reach(machine);
      if (r) return r;
    }
    return undefined;
  }

  private async change(
    c: Command,
    input: CommandInput,
    change: Pick<Command, "agent" | "detail">,
  ): Promise<Command> {
    const cs = new ChangeSet(this.store, this.events);
    const next = changeCommand(cs, c, input, this.clock.now().toISOString(), change);
    await cs.commit();
    return next;
  }
}
