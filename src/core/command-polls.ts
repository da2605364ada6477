import type { Command } from "../domain/command.js";
import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import { COLLECTIONS } from "../store/collections.js";
import type { Store, StoreOp } from "../store/store.js";
import { ChangeSet } from "./change-set.js";
import { changeCommand } from "./command-change.js";
import type { EventLog } from "./event-log.js";
import type { OpenCommands } from "./open-commands.js";
import type { Clock } from "./ports.js";

/** Longest outcome detail kept from an agent. */
const MAX_DETAIL = 200;

/** Past this many machines remembered as polled, the ones not heard from lately are forgotten. */
const POLLED_KEPT = 10_000;

/** The pull side of commands: a JSON agent's long poll takes its machine's queued commands, then acks them. */
export class CommandPolls {
  /** Each machine's last poll (ms) and its polls under way: whether a JSON agent runs there now. */
  private readonly lastPoll = new Map<string, number>();
  private readonly polling = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly open: OpenCommands,
  ) {}

  /**
   * A JSON agent's long poll: queued commands for its machine, marked sent. Waits up to `waitMs` for one
   * to be queued when there is none yet.
   */
  async takeCommands(
    agent: string,
    machine: string,
    waitMs: number,
    signal?: AbortSignal,
    /** Asked again after the wait: the credential may have ended meanwhile (a discovery key, say). */
    stillSpeaks: () => boolean = () => true,
  ): Promise<Command[]> {
    const queued = () => this.open.of(machine).filter((c) => c.state === "queued");
    this.heard(machine);
    this.polling.set(machine, (this.polling.get(machine) ?? 0) + 1);
    try {
      return await this.take(agent, machine, waitMs, queued, signal, stillSpeaks);
    } finally {
      const n = (this.polling.get(machine) ?? 1) - 1;
      if (n > 0) this.polling.set(machine, n);
      else this.polling.delete(machine);
      this.heard(machine);
    }
  }

  /**
   * Whether the machine's JSON agent is polling now or polled within `ms` (through this instance: with
   * several instances, the one the agent polls knows).
   */
  polledWithin(machine: string, ms: number): boolean {
    if (this.polling.has(machine)) return true;
    const at = this.lastPoll.get(machine);
    return at !== undefined && this.clock.now().getTime() - at <= ms;
  }

  private heard(machine: string): void {
    const now = this.clock.now().getTime();
    this.lastPoll.delete(machine); // re-inserted last: the map stays in order of last poll
    this.lastPoll.set(machine, now);
    if (this.lastPoll.size > POLLED_KEPT) {
      for (const [m] of this.lastPoll) {
        if (this.lastPoll.size <= POLLED_KEPT) break;
        this.lastPoll.delete(m);
      }
    }
  }

  private async take(
    agent: string,
    machine: string,
    waitMs: number,
    queued: () => Command[],
    signal: AbortSignal | undefined,
    stillSpeaks: () => boolean,
  ): Promise<Command[]> {
    if (queued().length === 0 && waitMs > 0 && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        // From the change feed, not the event listeners: it hears a command queued through another
        // instance (a shared store) the same way as one queued here, once the open index has it.
        const unsubscribe = this.store.onApplied((ops) => {
          if (ops.some((o) => o.collection === COLLECTIONS.commands && queuedFor(o, machine))) done();
        });
        signal?.addEventListener("abort", done);
        function done() {
          clearTimeout(timer);
          unsubscribe();
          signal?.removeEventListener("abort", done);
          resolve();
        }
      });
    }
    // An agent that went away (or a server shutting down) takes nothing: the commands stay queued. Nor does
    // one whose credential ended while it waited: the command is for the host that now has the machine.
    if (signal?.aborted || !stillSpeaks()) return [];
    // All marked sent in one commit, synchronously: awaited one by one, a second poll of the machine took
    // the ones not yet marked, and both agents got them (two reboots).
    const cs = new ChangeSet(this.store, this.events);
    const at = this.clock.now().toISOString();
    const taken = queued().map((c) => changeCommand(cs, c, { type: "send" }, at, { agent }));
    try {
      await cs.commit();
    } catch (err) {
      // Another instance's poll (or delivery) took one of them first: this poll takes nothing, the agent
      // polls again and gets what is still queued. Never both.
      if (isEnforcerError(err, "ENF_ERR_STORE_CONFLICT")) return [];
      throw err;
    }
    return taken;
  }

  /** A JSON agent reports how a command went; only a command of the machine it speaks for. */
  async acknowledge(machine: string, id: string, ok: boolean, detail: string): Promise<Command> {
    const c = this.store.get<Command>(COLLECTIONS.commands, id);
    if (!c || c.machine !== machine)
      throw new EnforcerError("ENF_ERR_COMMAND_NOT_FOUND", `no command ${id} for ${machine}`, {
        command: id,
      });
    const cs = new ChangeSet(this.store, this.events);
    const outcome = ok ? "acknowledged" : "failed";
    const next = changeCommand(cs, c, { type: "report", outcome }, this.clock.now().toISOString(), {
      detail: detail.slice(0, MAX_DETAIL),
    });
    await cs.commit();
    return next;
  }
}

/** True for an op that stores a queued command of `machine`. */
function queuedFor(o: StoreOp, machine: string): boolean {
  if (o.op !== "put") return false;
  const c = o.value as Command;
  return c.state === "queued" && c.machine === machine;
}
