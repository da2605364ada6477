import type { Command } from "commander";
import { clientCommand, cliContext, resourceCommand, type CommonOptions } from "../context.js";
import { show } from "../output.js";

/** `enforcer commands reboot|list|show` */
export function registerCommands(program: Command): void {
  const commands = resourceCommand(
    program,
    "commands",
    "commands to machines, delivered by their agents (list, reboot, show)",
  );
  clientCommand(commands, "list", "list commands (the default)", true)
    .option("--machine <mac>", "only this machine's")
    .option("--state <state>", "only commands in this state")
    .action(async (o: CommonOptions & { machine?: string; state?: string }) => {
      const ctx = cliContext(o);
      const r = await ctx.client.commands.list({ machine: o.machine, state: o.state });
      show(ctx, r, r.items, ["id", "machine", "type", "state", "updatedAt"]);
    });
  clientCommand(commands, "reboot <MAC>", "reboot a machine through its agent").action(
    async (mac: string, o: CommonOptions) => {
      const ctx = cliContext(o);
      show(ctx, await ctx.client.commands.reboot(mac));
    },
  );
  clientCommand(commands, "show <ID>", "one command").action(async (id: string, o: CommonOptions) => {
    const ctx = cliContext(o);
    show(ctx, await ctx.client.commands.get(id));
  });
}
