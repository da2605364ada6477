import type { BootConfig } from "../domain/boot-config.js";
import type { Command } from "../domain/command.js";
import type { Store, StoreOp } from "../store/store.js";
import type { AgentSessionService } from "./agent-sessions.js";
import type { ConfigService } from "./configs.js";
import type { EventLog } from "./event-log.js";
import { COLLECTIONS } from "../store/collections.js";
import { type Clock, type GrowthLimits } from "./ports.js";
import type { UnknownMachines } from "./unknown-machines.js";

/** What one retention pass deleted, for the log. */
export interface RetentionReport {
  events: number;
  configs: number;
  commands: number;
  unknownMachines: number;
  sessions: number;
}

/** Ops per commit: each is an ordinary journal line, small enough not to stall boot requests behind it. */
const BATCH = 1000;
const DAY_MS = 24 * 3600 * 1000;
const FINISHED_CONFIG = new Set(["completed", "expired", "cancelled"]);
const FINISHED_COMMAND = new Set(["acknowledged", "failed", "timed-out"]);

/**
 * The retention policy: keeps each machine's newest `historyPerMachine` events and `finishedPerMachine`
 * finished configs and commands, deletes all of those older than `historyDays`, and drops unknown machines
 * and discovery sessions past their time. Live configs (draft, armed, triggered) and queued or sent commands
 * are never deleted. Run at start and on a timer; deletes in batches of ordinary commits.
 */
export class RetentionService {
  private running: Promise<RetentionReport> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly limits: GrowthLimits,
    private readonly events: EventLog,
    private readonly configs: ConfigService,
    private readonly unknown: UnknownMachines,
    private readonly sessions: AgentSessionService,
  ) {}

  /** Resolves once no pass is running (a stopping server waits for the batches under way). */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** One pass; a pass asked for while one runs joins it. */
  sweep(): Promise<RetentionReport> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<RetentionReport> {
    const now = this.clock.now().getTime();
    const cutoffMs = now - this.limits.historyDays * DAY_MS;
    const cutoff = new Date(cutoffMs).toISOString();
    const sessions = this.sessions.pruneOps();
    // Machines an operator's config or an event claims say so on their record before this pass deletes the
    // config or the event: else they would count as unknown again, to be aged out or evicted with their facts.
    const kept = this.unknown.keepClaimedOps();
    const unknown = this.unknown.agedOps(cutoffMs);
    // Committed before anything is awaited (memory changes at once): a MAC booting again right after must
    // not have its new record deleted by a batch still waiting its turn.
    const first = this.store.commit([...sessions, ...kept, ...unknown]);
    const configs = this.configs.forgetOps(this.finished<BootConfig>(COLLECTIONS.configs, cutoff));
    const commands = this.finished<Command>(COLLECTIONS.commands, cutoff).map((id): StoreOp => ({
      op: "del",
      collection: COLLECTIONS.commands,
      id,
    }));
    const events = this.events.pruneOps(this.events.prunable(this.limits.historyPerMachine, cutoff));
    await first;
    // Every batch is committed even if the process is asked to stop (settled() waits): the event indexes
    // forget each batch as the store applies it, and a deletion another change made first is skipped there.
    const all = [...events, ...configs, ...commands];
    for (let i = 0; i < all.length; i += BATCH) await this.store.commit(all.slice(i, i + BATCH));
    return {
      events: events.filter((o) => o.collection === COLLECTIONS.events).length,
      configs: configs.length,
      commands: commands.length,
      unknownMachines: unknown.filter((o) => o.collection === COLLECTIONS.machines).length,
      sessions: sessions.filter((o) => o.op === "del").length,
    };
  }

  /**
   * Ids of finished configs or commands to delete: beyond each machine's newest `finishedPerMachine`, or
   * finished before `cutoff`. One scan of the collection per pass.
   */
  private finished<T extends BootConfig | Command>(collection: string, cutoff: string): string[] {
    const byMachine = new Map<string, { id: string; at: string; created: string }[]>();
    /** Each machine's config that it booted last: the time a discovery key ends (AgentCredentials). */
    const lastBoot = new Map<string, { id: string; at: string }>();
    for (const x of this.store.all<T>(collection)) {
      const booted = "lifecycle" in x && "triggeredAt" in x.lifecycle ? x.lifecycle.triggeredAt : undefined;
      const was = lastBoot.get(x.machine);
      if (booted && (!was || was.at < booted)) lastBoot.set(x.machine, { id: x.id, at: booted });
      const at = finishedAt(x);
      if (at === undefined) continue;
      let list = byMachine.get(x.machine);
      if (!list) byMachine.set(x.machine, (list = []));
      list.push({ id: x.id, at, created: x.createdAt });
    }
    const out: string[] = [];
    for (const [machine, list] of byMachine) {
      list.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
      list.forEach((x, i) => {
        if (x.at < cutoff) out.push(x.id);
        // Kept past the count (not past the age, a day at least: longer than a discovery key lives). Pruned,
        // a restart would no longer know the machine booted it, and a key that had ended would work again.
        else if (i >= this.limits.finishedPerMachine && lastBoot.get(machine)?.id !== x.id) out.push(x.id);
      });
    }
    return out;
  }
}

/** When a config or command finished, or undefined while it is live. */
function finishedAt(x: BootConfig | Command): string | undefined {
  if ("lifecycle" in x) {
    const l = x.lifecycle;
    if (!FINISHED_CONFIG.has(l.state)) return undefined;
    return l.state === "completed"
      ? l.completedAt
      : l.state === "expired"
        ? l.expiredAt
        : l.state === "cancelled"
          ? l.cancelledAt
          : undefined;
  }
  return FINISHED_COMMAND.has(x.state) ? x.updatedAt : undefined;
}
