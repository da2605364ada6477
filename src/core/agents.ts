import type { Command } from "../domain/command.js";
import { EnforcerError } from "../domain/errors.js";
import { sanitizeFacts, type Facts } from "../domain/facts.js";
import { parseSerial, parseUuid } from "../domain/identity.js";
import { tryParseMac, type Mac } from "../domain/mac.js";
import type { Machine } from "../domain/machine.js";
import type { Store, StoreOp } from "../store/store.js";
import type { AgentMember, AgentPort } from "./agent-port.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import { COLLECTIONS, type Clock } from "./ports.js";

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
        // Known by a MAC tag, or (members without one) by the name it had on an earlier pass.
        const known =
          member.macs.map((m) => tryParseMac(m)).find((m): m is Mac => !!m && !!this.machines.find(m)) ??
          this.machineOfMember(port.id, member.name);
        const needsInventory = !known || Object.keys(this.machines.find(known)?.facts ?? {}).length === 0;
        let facts: Facts | undefined;
        if (needsInventory) {
          // A bad inventory (unreachable, not JSON, too big or too deep) is reported; the member still counts.
          try {
            facts = sanitizeFacts(await port.inventory(member));
          } catch (err) {
            report.errors.push(`${member.name}: inventory refused: ${(err as Error).message}`);
          }
        }
        const identified = member.macs.length === 0 && known ? { ...member, macs: [known] } : member;
        const machine = await this.merge(port.id, identified, facts);
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

  /** Merges a member (and its inventory, if fetched) into the machine it is; undefined without any MAC. */
  private async merge(
    agent: string,
    member: AgentMember,
    facts: Facts | undefined,
  ): Promise<Machine | undefined> {
    const reported = [
      ...member.macs,
      ...(Array.isArray(facts?.macs) ? facts.macs.filter((m) => typeof m === "string") : []),
    ];
    const macs = [...new Set(reported.map((m) => tryParseMac(String(m))).filter((m): m is Mac => !!m))];
    if (macs.length === 0) return undefined;
    const now = this.clock.now().toISOString();
    // The same machine may come back with another NIC: match by any MAC, then by its SMBIOS UUID.
    const uuid =
      typeof facts?.uuid === "string" && facts.uuid
        ? attempt(() => parseUuid(facts.uuid as string))
        : undefined;
    const existing =
      macs.map((m) => this.machines.find(m)).find((m) => !!m) ??
      (uuid ? this.machines.findByUuid(uuid) : undefined);
    const base: Machine = existing ?? {
      id: macs[0]!,
      macs: [],
      labels: {},
      facts: {},
      firstSeen: now,
      lastSeen: now,
      origin: "agent",
    };
    const next: Machine = {
      ...base,
      macs: [...new Set([...base.macs, ...macs])],
      lastSeen: now,
      agents: [...new Set([...(base.agents ?? []), agent])],
    };
    if (facts) {
      next.facts = facts;
      const uuid =
        typeof facts.uuid === "string" && facts.uuid
          ? attempt(() => parseUuid(facts.uuid as string))
          : undefined;
      const serial =
        typeof facts.serial === "string" && facts.serial
          ? attempt(() => parseSerial(facts.serial as string))
          : undefined;
      if (uuid) next.uuid = uuid;
      if (serial) next.serial = serial;
    }
    if (existing && JSON.stringify(existing) === JSON.stringify({ ...next, lastSeen: existing.lastSeen }))
      return existing;
    const r = this.events.record(existing ? "machine.updated" : "machine.created", next.id, now, {
      detail: { agent },
    });
    const ops: StoreOp[] = [this.machines.putOp(next), r.op];
    await this.store.commit(ops);
    this.events.publish([r.event]);
    return next;
  }

  /**
   * Enforcer's JSON agent reports an inventory. The MACs it names (validated) identify the machine; the
   * inventory is sanitised and stored as facts. `onlyMac` limits a discovery key to its own machine.
   */
  async report(agent: string, macs: string[], inventory: unknown, onlyMac?: Mac): Promise<Machine> {
    const parsed = macs.map((m) => tryParseMac(m)).filter((m): m is Mac => !!m);
    if (parsed.length === 0)
      throw new EnforcerError("ENF_ERR_MAC_INVALID", "a report must name at least one valid MAC");
    if (onlyMac && !parsed.includes(onlyMac)) {
      throw new EnforcerError("ENF_ERR_AUTH_FORBIDDEN", `this agent key speaks only for ${onlyMac}`, {
        mac: onlyMac,
      });
    }
    const facts = sanitizeFacts(inventory);
    const first = onlyMac ?? parsed[0]!;
    const machine = await this.merge(
      agent,
      { name: first, macs: [first, ...parsed.filter((m) => m !== first)], alive: true },
      facts,
    );
    return machine!;
  }

  /**
   * A JSON agent's long poll: queued commands for its machine, marked sent. Waits up to `waitMs` for one
   * to be queued when there is none yet.
   */
  async takeCommands(agent: string, mac: Mac, waitMs: number, signal?: AbortSignal): Promise<Command[]> {
    const queued = () =>
      [...this.store.all<Command>(COLLECTIONS.commands)].filter(
        (c) => c.machine === mac && c.state === "queued",
      );
    if (queued().length === 0 && waitMs > 0 && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        const unsubscribe = this.events.subscribe((e) => {
          if (e.kind === "command.queued" && e.machine === mac) done();
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
    // An agent that went away (or a server shutting down) takes nothing: the commands stay queued.
    if (signal?.aborted) return [];
    const taken = queued();
    for (const c of taken) await this.setState(c, { state: "sent", agent });
    return taken.map((c) => ({ ...c, state: "sent" as const, agent }));
  }

  /** A JSON agent reports how a command went. */
  async acknowledge(mac: Mac, id: string, ok: boolean, detail: string): Promise<Command> {
    const c = this.store.get<Command>(COLLECTIONS.commands, id);
    if (!c || c.machine !== mac)
      throw new EnforcerError("ENF_ERR_COMMAND_NOT_FOUND", `no command ${id} for ${mac}`, { command: id });
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
    for (const c of [...this.store.all<Command>(COLLECTIONS.commands)].filter((x) => x.state === "queued")) {
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
    const now = this.clock.now().toISOString();
    const next: Command = { ...c, ...change, updatedAt: now };
    const r = this.events.record(`command.${next.state}` as "command.sent", c.machine, now, {
      detail: {
        command: c.id,
        ...(next.detail ? { detail: next.detail } : {}),
        ...(next.agent ? { agent: next.agent } : {}),
      },
    });
    await this.store.commit([{ op: "put", collection: COLLECTIONS.commands, id: c.id, value: next }, r.op]);
    this.events.publish([r.event]);
  }
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
