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
 * first, then its outcome); one that none reaches stays queued for its machine's agent to poll.
 */
export class CommandDelivery {
  private readonly executors: CommandExecutor[] = [];

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

  /** Delivers every queued command an executor reaches; returns how many it delivered. */
  async deliverQueued(): Promise<number> {
    let n = 0;
    for (const { id } of this.open.all().filter((c) => c.state === "queued")) {
      // Read again: while an earlier one was delivered, a JSON agent's poll may have taken this one.
      const c = this.store.get<Command>(COLLECTIONS.commands, id);
      if (c?.state !== "queued") continue;
      const route = this.route(c.machine);
      if (!route) continue; // nothing reaches it yet: stays queued
      // Expecting the command as read: of two instances delivering it, one marks it sent, the other skips it.
      const sent = await this.change(c, { type: "send" }, { agent: route.via }).catch((err: unknown) => {
        if (isEnforcerError(err, "ENF_ERR_STORE_CONFLICT")) return undefined;
        throw err;
      });
      if (!sent) continue;
      const d: Delivery = await route
        .deliver(sent)
        .catch((err: Error) => ({ state: "failed" as const, detail: err.message }));
      n++;
      // Read again: while the executor worked, the command may have ended (its machine forgotten) or moved
      // (a merge). An ended one keeps its one ending; a moved one is reported where it is now.
      const now = this.store.get<Command>(COLLECTIONS.commands, id);
      if (now?.state !== "sent") continue;
      await this.change(
        now,
        { type: "report", outcome: d.state },
        { detail: d.detail.slice(0, MAX_DETAIL) },
      ).catch((err: unknown) => {
        // Changed meanwhile through another instance (an agent's own ack, a merge): that change stands.
        if (!isEnforcerError(err, "ENF_ERR_STORE_CONFLICT")) throw err;
      });
    }
    return n;
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
