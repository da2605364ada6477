import type { Command } from "../domain/command.js";
import { EnforcerError } from "../domain/errors.js";
import { sanitizeFacts, type Facts } from "../domain/facts.js";
import { tryParseMac, type Mac } from "../domain/mac.js";
import type { Machine } from "../domain/machine.js";
import type { Store, StoreOp } from "../store/store.js";
import type { MachineEvent } from "../domain/events.js";
import type { AgentCredential, AgentCredentials } from "./agent-credentials.js";
import type { AgentMember, AgentPort } from "./agent-port.js";
import type { EventLog } from "./event-log.js";
import type { IntakeResult, MachineIntake } from "./machine-intake.js";
import type { MachineService } from "./machines.js";
import { COLLECTIONS } from "../store/collections.js";
import { type Clock } from "./ports.js";

/** How one sync of one agent went, for logs. */
export interface SyncReport {
  agent: string;
  members: number;
  machines: number;
  errors: string[];
}

/**
 * Agents: turns members into machines (by their MAC tags, or by the MACs their inventory reports), merges
 * inventory as facts, and delivers queued commands through whichever agent knows the machine.
 */
export class AgentService {
  private readonly ports = new Map<string, AgentPort>();
  /** machine id -> where it was last seen: which agent and under which member name. */
  private readonly reach = new Map<string, { agent: string; member: AgentMember }>();

  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly machines: MachineService,
    private readonly intake: MachineIntake,
    private readonly credentials: AgentCredentials,
  ) {}

  /** Adds an agent system. */
  add(port: AgentPort): void {
    this.ports.set(port.id, port);
  }

  /** Agent ids and how many machines each reaches, for the API and metrics. */
  list(): { id: string; machines: number }[] {
    return [...this.ports.keys()].map((id) => ({
      id,
      machines: [...this.reach.values()].filter((r) => r.agent === id).length,
    }));
  }

  /** Lists every agent's members, creates or updates their machines and fetches inventory for new ones. */
  async syncAll(): Promise<SyncReport[]> {
    const reports: SyncReport[] = [];
    for (const port of this.ports.values()) reports.push(await this.sync(port));
    return reports;
  }

  private async sync(port: AgentPort): Promise<SyncReport> {
    const report: SyncReport = { agent: port.id, members: 0, machines: 0, errors: [] };
    let members: AgentMember[];
    try {
      members = await port.members();
    } catch (err) {
      report.errors.push(`members: ${(err as Error).message}`);
      return report;
    }
    report.members = members.length;
    for (const member of members.filter((m) => m.alive)) {
      try {
        // The member is the machine its first MAC tag names, or (members without one) the one its name had on
        // an earlier pass; its other tags are claims like any agent's (a conflict when another machine's).
        const first = member.macs.map((m) => tryParseMac(m)).find((m): m is Mac => !!m);
        const self = first
          ? (this.machines.find(first)?.id ?? first)
          : this.machineOfMember(port.id, member.name);
        const known = self && this.machines.find(self);
        const needsInventory = !known || Object.keys(known.facts).length === 0;
        let facts: Facts | undefined;
        if (needsInventory) {
          // A bad inventory (unreachable, not JSON, too big or too deep) is reported; the member still counts.
          try {
            facts = sanitizeFacts(await port.inventory(member));
          } catch (err) {
            report.errors.push(`${member.name}: inventory refused: ${(err as Error).message}`);
          }
        }
        const machine = await this.merge(port.id, member, self, facts);
        if (machine) {
          this.reach.set(machine.id, { agent: port.id, member });
          report.machines++;
        }
      } catch (err) {
        report.errors.push(`${member.name}: ${(err as Error).message}`);
      }
    }
    return report;
  }

  private machineOfMember(agent: string, name: string): Mac | undefined {
    for (const [id, r] of this.reach) if (r.agent === agent && r.member.name === name) return id as Mac;
    return undefined;
  }

  /**
   * Merges a member (and its inventory, if fetched) into the machine it is; undefined without any MAC.
   * Cluster membership is trusted but any member can set its tags, so a member follows the agents' rule:
   * it speaks for `self` only, and any other MAC, UUID or serial another machine holds becomes a conflict.
   */
  private async merge(
    agent: string,
    member: AgentMember,
    known: Mac | undefined,
    facts: Facts | undefined,
  ): Promise<Machine | undefined> {
    const tags = member.macs.map((m) => tryParseMac(m)).filter((m): m is Mac => !!m);
    const fromInventory = Array.isArray(facts?.macs) ? facts.macs.map((m) => tryParseMac(String(m))) : [];
    const self = known ?? fromInventory.find((m): m is Mac => !!m);
    if (!self) return undefined;
    const r = await this.intake.apply({
      agent,
      credential: `${agent} member ${member.name.slice(0, 64)}`,
      self,
      macs: tags,
      facts,
    });
    return r.machine;
  }

  /**
   * Enforcer's JSON agent reports an inventory for the machine its credential speaks for (a discovery key:
   * the MAC that booted; an agent token: the machine of its first report). The MACs named (validated) and the
   * inventory's UUID and serial join that machine unless another machine holds them: then they are a
   * conflict, listed in the answer.
   */
  async report(credential: AgentCredential, macs: string[], inventory: unknown): Promise<IntakeResult> {
    const parsed = macs.map((m) => tryParseMac(m)).filter((m): m is Mac => !!m);
    if (parsed.length === 0)
      throw new EnforcerError("ENF_ERR_MAC_INVALID", "a report must name at least one valid MAC");
    const facts = sanitizeFacts(inventory);
    const who = this.credentials.forReport(credential, parsed, this.clock.now().toISOString());
    return this.intake.apply({
      agent: this.credentials.agentId(credential),
      credential: this.credentials.describe(credential),
      self: who.self,
      macs: parsed,
      facts,
      ops: who.ops,
    });
  }

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
    const queued = () =>
      [...this.store.all<Command>(COLLECTIONS.commands)].filter(
        (c) => c.machine === machine && c.state === "queued",
      );
    if (queued().length === 0 && waitMs > 0 && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        const unsubscribe = this.events.subscribe((e) => {
          if (e.kind === "command.queued" && e.machine === machine) done();
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
    const taken = queued();
    const steps = taken.map((c) => this.stateOps(c, { state: "sent", agent }));
    if (steps.length > 0) {
      await this.store.commit(steps.flatMap((s) => s.ops));
      this.events.publish(steps.map((s) => s.event));
    }
    return taken.map((c) => ({ ...c, state: "sent" as const, agent }));
  }

  /** A JSON agent reports how a command went; only a command of the machine it speaks for. */
  async acknowledge(machine: string, id: string, ok: boolean, detail: string): Promise<Command> {
    const c = this.store.get<Command>(COLLECTIONS.commands, id);
    if (!c || c.machine !== machine)
      throw new EnforcerError("ENF_ERR_COMMAND_NOT_FOUND", `no command ${id} for ${machine}`, {
        command: id,
      });
    if (c.state !== "sent") {
      throw new EnforcerError("ENF_ERR_CONFIG_TRANSITION", `command ${id} is ${c.state}, not sent`, {
        command: id,
        state: c.state,
      });
    }
    const change: Partial<Command> = { state: ok ? "acknowledged" : "failed", detail: detail.slice(0, 200) };
    await this.setState(c, change);
    return { ...c, ...change } as Command;
  }

  /** Delivers every queued command through the agent that reaches its machine. */
  async deliverQueued(): Promise<number> {
    let n = 0;
    for (const { id } of [...this.store.all<Command>(COLLECTIONS.commands)].filter(
      (x) => x.state === "queued",
    )) {
      // Read again: while an earlier one was delivered, a JSON agent's poll may have taken this one.
      const c = this.store.get<Command>(COLLECTIONS.commands, id);
      if (c?.state !== "queued") continue;
      const via = this.reach.get(c.machine);
      const port = via && this.ports.get(via.agent);
      if (!via || !port) continue; // no agent reaches it yet: stays queued
      await this.setState(c, { state: "sent", agent: port.id });
      const d = await port
        .reboot(via.member)
        .catch((err: Error) => ({ state: "failed" as const, detail: err.message }));
      await this.setState(
        { ...c, state: "sent", agent: port.id },
        { state: d.state, detail: d.detail.slice(0, 200) },
      );
      n++;
    }
    return n;
  }

  private async setState(c: Command, change: Partial<Command>): Promise<void> {
    const s = this.stateOps(c, change);
    await this.store.commit(s.ops);
    this.events.publish([s.event]);
  }

  /** The ops storing a command's new state with its event, for the caller to commit. */
  private stateOps(c: Command, change: Partial<Command>): { ops: StoreOp[]; event: MachineEvent } {
    const now = this.clock.now().toISOString();
    const next: Command = { ...c, ...change, updatedAt: now };
    const r = this.events.record(`command.${next.state}` as "command.sent", c.machine, now, {
      detail: {
        command: c.id,
        ...(next.detail ? { detail: next.detail } : {}),
        ...(next.agent ? { agent: next.agent } : {}),
      },
    });
    return {
      ops: [{ op: "put", collection: COLLECTIONS.commands, id: c.id, value: next }, r.op],
      event: r.event,
    };
  }
}
