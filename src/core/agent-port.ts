import type { Delivery } from "./command-executor.js";

/** A member as an agent system sees it: enough to find the machine and to reach it again. */
export interface AgentMember {
  /** The member's name inside its agent system (serf node name, consul node, JSON agent id). */
  name: string;
  /** MACs the agent system states for it (tags, node meta); may be empty until inventory. */
  macs: string[];
  alive: boolean;
}

/**
 * The port every agent system plugs into (serf, consul): list members, fetch one member's inventory
 * (untrusted data, validated by the core), deliver a command. The core turns the members it reaches into
 * a command executor (agent-reach.ts).
 */
export interface AgentPort {
  /** Stable id, e.g. `serf:127.0.0.1:7373`. */
  readonly id: string;
  members(): Promise<AgentMember[]>;
  inventory(member: AgentMember): Promise<unknown>;
  reboot(member: AgentMember): Promise<Delivery>;
}
