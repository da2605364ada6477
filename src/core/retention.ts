import type { BootConfig } from "../domain/boot-config.js";
import type { Command } from "../domain/command.js";
import { isEnforcerError } from "../domain/errors.js";
import type { Store, StoreExpect, StoreOp } from "../store/store.js";
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
    // Committed before anything is awaited (a local store's memory changes at once): a MAC booting again
    // right after must not have its new record deleted by a batch still waiting its turn. A shared store
    // takes at most maxOpsPerCommit ops at once (etcd: 128): larger, it goes in commits of that many, in order.
    const first = this.commitChunked([...sessions, ...kept, ...unknown]);
    const configs = this.finished<BootConfig>(COLLECTIONS.configs, cutoff);
    const commands = this.finished<Command>(COLLECTIONS.commands, cutoff);
    const seqs = this.events.prunable(this.limits.historyPerMachine, cutoff);
    await first;
    // Every batch is committed even if the process is asked to stop (settled() waits). Each batch's ops are
    // built just before its commit: while earlier ones were written, a late callback may have completed an
    // expired config (it is new again, not to be deleted), and the seq mark must be the newest one.
    const plan = [
      ...seqs.map((seq) => ({ seq })),
      ...configs.map((x) => ({ config: x })),
      ...commands.map((x) => ({ command: x })),
    ];
    const done = { events: 0, configs: 0, commands: 0 };
    // One op of each batch is the seq mark that goes before deleted events.
    const size = Math.max(1, Math.min(BATCH, this.store.maxOpsPerCommit - 1));
    for (let i = 0; i < plan.length; i += size) {
      const batch = plan.slice(i, i + size);
      const events = this.events.pruneOps(batch.flatMap((p) => ("seq" in p ? [p.seq] : [])));
      const cfgs = this.configs.forgetOps(
        batch.flatMap((p) =>
          "config" in p && this.still(COLLECTIONS.configs, p.config) ? [p.config.id] : [],
        ),
      );
      const cmds = batch.flatMap((p): StoreOp[] =>
        "command" in p && this.still(COLLECTIONS.commands, p.command)
          ? [{ op: "del", collection: COLLECTIONS.commands, id: p.command.id }]
          : [],
      );
      // Each config and command is deleted only as it was read: with several instances, a late completion
      // through another one (an expired config completed after all) must not be deleted with it.
      const kept = await this.commitExpecting([...events, ...cfgs, ...cmds]);
      done.events += events.filter((o) => o.collection === COLLECTIONS.events).length;
      done.configs += cfgs.filter((o) => kept.has(o)).length;
      done.commands += cmds.filter((o) => kept.has(o)).length;
    }
    return {
      ...done,
      unknownMachines: unknown.filter((o) => o.collection === COLLECTIONS.machines).length,
      sessions: sessions.filter((o) => o.op === "del").length,
    };
  }

  /**
   * Commits ops in order, in commits of at most the store's maxOpsPerCommit, never splitting a machine's
   * drop (its deletion and what goes with it) unless it alone is larger. Each machine deletion expects the
   * record as read: one another instance changed meanwhile (an operator's label through B) is not dropped,
   * nor is what goes with it; the rest goes on. With a local store this is one commit, called at once.
   */
  private async commitChunked(ops: StoreOp[]): Promise<void> {
    const max = this.store.maxOpsPerCommit;
    const groups: StoreOp[][] = [];
    for (const o of ops) {
      if (groups.length === 0 || (o.op === "del" && o.collection === COLLECTIONS.machines)) groups.push([]);
      groups.at(-1)!.push(o);
    }
    const chunks: StoreOp[][][] = [];
    for (const g of groups) {
      const last = chunks.at(-1);
      if (last && last.reduce((n, x) => n + x.length, 0) + g.length <= max) last.push(g);
      else chunks.push([g]);
    }
    const expect = (list: StoreOp[]): StoreExpect[] =>
      list
        .filter((o) => o.op === "del" && o.collection === COLLECTIONS.machines)
        .map((o) => ({ collection: o.collection, id: o.id, value: this.store.get(o.collection, o.id) }));
    const commit = async (list: StoreOp[]): Promise<boolean> => {
      for (let i = 0; i < list.length; i += max) {
        const part = list.slice(i, i + max);
        try {
          await this.store.commit(part, expect(part));
        } catch (err) {
          if (!isEnforcerError(err, "ENF_ERR_STORE_CONFLICT")) throw err;
          return false;
        }
      }
      return true;
    };
    for (const chunk of chunks) {
      if (await commit(chunk.flat())) continue;
      // One machine in it changed meanwhile: the others alone (the changed one is refused again, and left).
      for (const g of chunk) await commit(g);
    }
  }

  /**
   * Commits ops, each config and command deletion expecting the value read now; answers the ops committed.
   * On a conflict (another instance changed one meanwhile) each is tried alone and the changed ones are left
   * to the next pass: rare, and never more than one batch's worth of single commits.
   */
  private async commitExpecting(ops: StoreOp[]): Promise<Set<StoreOp>> {
    const guarded = (o: StoreOp) =>
      o.collection === COLLECTIONS.configs || o.collection === COLLECTIONS.commands;
    const expect = (list: StoreOp[]): StoreExpect[] =>
      list
        .filter(guarded)
        .map((o) => ({ collection: o.collection, id: o.id, value: this.store.get(o.collection, o.id) }));
    if (ops.length === 0) return new Set();
    try {
      await this.store.commit(ops, expect(ops));
      return new Set(ops);
    } catch (err) {
      if (!isEnforcerError(err, "ENF_ERR_STORE_CONFLICT")) throw err;
    }
    const done = new Set<StoreOp>();
    const rest = ops.filter((o) => !guarded(o));
    if (rest.length > 0) await this.store.commit(rest);
    rest.forEach((o) => done.add(o));
    for (const o of ops.filter(guarded)) {
      try {
        await this.store.commit([o], expect([o]));
        done.add(o);
      } catch (err) {
        if (!isEnforcerError(err, "ENF_ERR_STORE_CONFLICT")) throw err;
      }
    }
    return done;
  }

  /** True when the record is still as retention chose it: finished at the same time (not completed since). */
  private still(collection: string, x: Finished): boolean {
    const now = this.store.get<BootConfig | Command>(collection, x.id);
    return !!now && finishedAt(now) === x.at;
  }

  /**
   * Finished configs or commands to delete (with when they finished): beyond each machine's newest `finishedPerMachine`, or
   * finished before `cutoff`. One scan of the collection per pass.
   */
  private finished<T extends BootConfig | Command>(collection: string, cutoff: string): Finished[] {
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
    const out: Finished[] = [];
    for (const [machine, list] of byMachine) {
      list.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
      list.forEach((x, i) => {
        if (x.at < cutoff) out.push(x);
        // Kept past the count (not past the age, a day at least: longer than a discovery key lives). Pruned,
        // a restart would no longer know the machine booted it, and a key that had ended would work again.
        else if (i >= this.limits.finishedPerMachine && lastBoot.get(machine)?.id !== x.id) out.push(x);
      });
    }
    return out;
  }
}

/** A finished config or command retention chose, with the time it finished then. */
interface Finished {
  id: string;
  at: string;
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
