import type { Command, CommandOutcome } from "../domain/command.js";

/** What delivering a command came to. */
export interface Delivery {
  state: CommandOutcome;
  detail: string;
}

/** One way to carry commands to one machine, as an executor found it. */
export interface CommandRoute {
  /** Who carries it, stored as the command's `agent` and named in its events (`serf:127.0.0.1:7373`, say). */
  readonly via: string;
  /** Carries the command and tells how it went; a rejection counts as `failed` with its message. */
  deliver(command: Command): Promise<Delivery>;
}

/**
 * The port every push executor plugs into: the agents (serf, consul) today; IPMI, Redfish or Wake-on-LAN
 * later. The command service asks each, in the order they were added, whether it reaches a machine now,
 * and delivers through the first that does. A command no executor reaches stays queued: that queue is what
 * pull agents (Enforcer's JSON agent, by its long poll) take from, so they need no executor of their own.
 */
export interface CommandExecutor {
  /** A route to the machine now, from what the executor last saw; undefined when it cannot reach it. */
  reach(machine: string): CommandRoute | undefined;
}
