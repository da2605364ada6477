import { sanitizeFacts, type Facts } from "../domain/facts.js";
import { tryParseMac, type Mac } from "../domain/mac.js";
import type { Machine } from "../domain/machine.js";
import type { AgentMember, AgentPort } from "./agent-port.js";
import type { AgentReach } from "./agent-reach.js";
import type { MachineIntake } from "./machine-intake.js";
import type { MachineService } from "./machines.js";

/** How one sync of one agent went, for logs. */
export interface SyncReport {
  agent: string;
  members: number;
  machines: number;
  errors: string[];
}

/**
 * Member sync: turns the members of the agent systems (serf, consul) into machines, by their MAC tags or by
 * the MACs their inventory reports, merges that inventory as facts, and records which agent reaches which
 * machine (for delivery).
 */
export class AgentMemberSync {
  constructor(
    private readonly machines: MachineService,
    private readonly intake: MachineIntake,
    private readonly reach: AgentReach,
  ) {}

  /** Lists every agent's members, creates or updates their machines and fetches inventory for new ones. */
  async syncAll(): Promise<SyncReport[]> {
    const reports: SyncReport[] = [];
    for (const port of this.reach.systems()) reports.push(await this.sync(port));
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
          : this.reach.machineOfMember(port.id, member.name);
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
          this.reach.seen(machine.id, port.id, member);
          report.machines++;
        }
      } catch (err) {
        report.errors.push(`${member.name}: ${(err as Error).message}`);
      }
    }
    return report;
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
}
