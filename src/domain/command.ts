import { EnforcerError } from "./errors.js";

/** Commands Enforcer can send to a machine through an agent. */
export const COMMAND_TYPES = ["reboot"] as const;
/** One of COMMAND_TYPES. */
export type CommandType = (typeof COMMAND_TYPES)[number];

/** Where a command is: queued for an agent, sent, acknowledged by the machine, or ended badly. */
export type CommandState = "queued" | "sent" | "acknowledged" | "failed" | "timed-out";

/** How a sent command ended, as its machine (or the executor that carried it) tells. */
export type CommandOutcome = "acknowledged" | "failed" | "timed-out";

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

/**
 * What happens to a command: an agent or executor takes it (`send`), its outcome comes back (`report`), or
 * its machine is forgotten while it is still open (`abandon`).
 */
export type CommandInput =
  { type: "send" } | { type: "report"; outcome: CommandOutcome } | { type: "abandon" };

/** Whether a command is still open: queued or sent, so it may yet reach its machine. */
export function isOpenCommand(state: CommandState): boolean {
  return state === "queued" || state === "sent";
}

/**
 * Pure lifecycle: queued -> sent -> acknowledged | failed | timed-out, and queued or sent -> failed when the
 * machine is forgotten. Returns the next state, or the ENF_ERR_COMMAND_TRANSITION error for an input the
 * command's state does not allow (the caller throws it or skips the command).
 */
export function stepCommand(
  c: Pick<Command, "id" | "state">,
  input: CommandInput,
): CommandState | EnforcerError {
  const refuse = (wanted: string) =>
    new EnforcerError("ENF_ERR_COMMAND_TRANSITION", `command ${c.id} is ${c.state}, not ${wanted}`, {
      command: c.id,
      state: c.state,
    });
  switch (input.type) {
    case "send":
      return c.state === "queued" ? "sent" : refuse("queued");
    case "report":
      return c.state === "sent" ? input.outcome : refuse("sent");
    case "abandon":
      return isOpenCommand(c.state) ? "failed" : refuse("queued or sent");
  }
}
