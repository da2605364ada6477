import type { Mac } from "../domain/mac.js";
import type { AgentMember, AgentPort } from "./agent-port.js";
import type { CommandExecutor, CommandRoute } from "./command-executor.js";

/** The agent systems as the transports see them: the daemon adds them, the API and metrics list them. */
export interface AgentSystems {
  /** Adds an agent system; member sync lists it, and it reboots the machines it last saw. */
  add(port: AgentPort): void;
  /** Agent ids and how many machines each reaches. */
  list(): { id: string; machines: number }[];
}

/**
 * The agent systems added (serf, consul) and which of them last saw each machine, under which member name:
 * member sync writes it, and it is the command executor that reboots a machine through that agent.
 */
export class AgentReach implements AgentSystems, CommandExecutor {
  private readonly ports = new Map<string, AgentPort>();
  /** machine id -> where it was last seen: which agent and under which member name. */
  private readonly lastSeen = new Map<string, { agent: string; member: AgentMember }>();

  /** Adds an agent system. */
  add(port: AgentPort): void {
    this.ports.set(port.id, port);
  }

  /** The agent systems, in the order they were added. */
  systems(): AgentPort[] {
    return [...this.ports.values()];
  }

  /** Records that an agent saw the machine as this member. */
  seen(machine: string, agent: string, member: AgentMember): void {
    this.lastSeen.set(machine, { agent, member });
  }

  /** The machine an agent's member named `name` was on an earlier pass, if any. */
  machineOfMember(agent: string, name: string): Mac | undefined {
    for (const [id, r] of this.lastSeen) if (r.agent === agent && r.member.name === name) return id as Mac;
    return undefined;
  }

  /** Agent ids and how many machines each reaches, for the API and metrics. */
  list(): { id: string; machines: number }[] {
    return [...this.ports.keys()].map((id) => ({
      id,
      machines: [...this.lastSeen.values()].filter((r) => r.agent === id).length,
    }));
  }

  /** The agent that last saw the machine, as a route that reboots it; only command type today is reboot. */
  reach(machine: string): CommandRoute | undefined {
    const via = this.lastSeen.get(machine);
    const port = via && this.ports.get(via.agent);
    if (!via || !port) return undefined;
    return { via: port.id, deliver: () => port.reboot(via.member) };
  }
}
