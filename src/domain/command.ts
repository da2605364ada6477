/** Commands Enforcer can send to a machine through an agent. */
export const COMMAND_TYPES = ["reboot"] as const;
/** One of COMMAND_TYPES. */
export type CommandType = (typeof COMMAND_TYPES)[number];

/** Where a command is: queued for an agent, sent, acknowledged by the machine, or ended badly. */
export type CommandState = "queued" | "sent" | "acknowledged" | "failed" | "timed-out";

/** A command to one machine and its outcome. */
export interface Command {
  id: string;
  machine: string;
  type: CommandType;
  state: CommandState;
  createdAt: string;
  updatedAt: string;
  /** Which agent carried it, once one did. */
  agent?: string;
  detail?: string;
}
