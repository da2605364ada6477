import type { Command } from "commander";
import { clientCommand, cliContext, resourceCommand, type CommonOptions } from "../context.js";
import { show, showFields, UsageError } from "../output.js";
import { commandFields } from "../record-views.js";
import { reboot } from "./reboot.js";

/** `enforcer commands reboot|list|show` */
export function registerCommands(program: Command): void {
  const commands = resourceCommand(
    program,
    "commands",
    "commands to machines, delivered by their agents or power control (list, reboot, show)",
  );
  clientCommand(commands, "list", "list commands (the default)", true)
    .option("--machine <mac>", "only this machine's")
    .option("--state <state>", "only commands in this state")
    .action(async (o: CommonOptions & { machine?: string; state?: string }) => {
      const ctx = cliContext(o);
      const r = await ctx.client.commands.list({ machine: o.machine, state: o.state });
      show(ctx, r, r.items, ["id", "machine", "type", "state", "updatedAt"]);
    });
  clientCommand(
    commands,
    "reboot <MAC>",
    "reboot a machine through the agent or the power control that reaches it (exit 7 when none does: the command stays queued)",
  )
    .option("--wait <sec>", "how long to wait for an agent to take it", "5")
    .action(async (mac: string, o: CommonOptions & { wait: string }) => {
      const wait = Number(o.wait);
      if (!Number.isFinite(wait) || wait < 0 || wait > 3600)
        throw new UsageError(`--wait must be 0 to 3600 seconds, got "${o.wait}"`);
      await reboot(cliContext(o), mac, wait);
    });
  clientCommand(commands, "show <ID>", "one command").action(async (id: string, o: CommonOptions) => {
    const ctx = cliContext(o);
    const c = (await ctx.client.commands.get(id)) as Record<string, unknown>;
    showFields(ctx, c, commandFields(c));
  });
}
