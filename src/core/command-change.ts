import { stepCommand, type Command, type CommandInput } from "../domain/command.js";
import { EnforcerError } from "../domain/errors.js";
import { COLLECTIONS } from "../store/collections.js";
import type { ChangeSet } from "./change-set.js";

/**
 * Adds a command's next state (by the pure lifecycle in domain/command.ts) and the event that tells it to
 * a change; returns the command as stored. Throws ENF_ERR_COMMAND_TRANSITION when its state does not allow
 * the input. Every writer of a command's state (polls, acks, delivery, forgetting) goes through here, and
 * the change expects the command as read.
 */
export function changeCommand(
  cs: ChangeSet,
  c: Command,
  input: CommandInput,
  at: string,
  change: Pick<Command, "agent" | "detail"> = {},
): Command {
  const state = stepCommand(c, input);
  if (state instanceof EnforcerError) throw state;
  const next: Command = { ...c, ...change, state, updatedAt: at };
  // Only from the state read: of two instances (or polls) taking one command, one commit wins, the other
  // is refused whole (ENF_ERR_STORE_CONFLICT), so a command is delivered once across instances.
  cs.expect(COLLECTIONS.commands, c.id, c);
  cs.op({ op: "put", collection: COLLECTIONS.commands, id: c.id, value: next });
  // A command failed because its machine was forgotten names no agent: no agent carried that outcome.
  const agent = input.type === "abandon" ? undefined : next.agent;
  cs.event(`command.${state}`, c.machine, at, {
    detail: {
      command: c.id,
      ...(next.detail ? { detail: next.detail } : {}),
      ...(agent ? { agent } : {}),
    },
  });
  return next;
}
