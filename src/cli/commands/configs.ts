import type { Command } from "commander";
import {
  clientCommand,
  cliContext,
  resourceCommand,
  pairs,
  repeatable,
  type CliContext,
  type CommonOptions,
} from "../context.js";
import { show, showFields } from "../output.js";
import { configFields } from "../record-views.js";
import { waitForConfig } from "./wait.js";

type Filter = CommonOptions & { machine?: string; state?: string };
type Row = Record<string, unknown>;

function showConfig(ctx: CliContext, c: unknown): void {
  showFields(ctx, c, configFields(c as Row));
}

/** `enforcer configs list|show|create|arm|cancel` */
export function registerConfigs(program: Command): void {
  const configs = resourceCommand(
    program,
    "configs",
    "boot configs: one armed boot of a profile (list, show, create, arm, cancel)",
  );
  clientCommand(configs, "list", "list configs (the default)", true)
    .option("--machine <mac>", "only this machine's")
    .option("--state <state>", "only configs in this state")
    .action(async (o: Filter) => {
      const ctx = cliContext(o);
      const r = await ctx.client.configs.list({ machine: o.machine, state: o.state });
      show(ctx, r, r.items, ["id", "machine", "profile", "state", "createdAt"]);
    });
  clientCommand(configs, "show <ID>", "one config").action(async (id: string, o: CommonOptions) => {
    const ctx = cliContext(o);
    showConfig(ctx, await ctx.client.configs.get(id));
  });
  clientCommand(configs, "create <MAC> <PROFILE>", "a config of a profile for a machine")
    .option("--var <key=value>", "a variable for the templates; repeat it for more", repeatable)
    .action(async (machine: string, profile: string, o: CommonOptions & { var?: string[] }) => {
      const ctx = cliContext(o);
      const variables = pairs(o.var, "--var");
      const c = (await ctx.client.configs.create({ machine, profile, variables })) as Row;
      showConfig(ctx, c);
      if (!ctx.json) ctx.err(`next: enforcer configs arm ${String(c.id)} --wait\n`);
    });
  clientCommand(configs, "arm <ID>", "arm a config: the machine's next boot gets it")
    .option(
      "--wait",
      "follow the config until it completes, expires or is cancelled (exit 0 only if completed)",
    )
    .option("--timeout <sec>", "give up waiting after this long", "3600")
    .action(async (id: string, o: CommonOptions & { wait?: boolean; timeout: string }) => {
      const ctx = cliContext(o);
      const armed = (await ctx.client.configs.arm(id)) as Record<string, unknown>;
      if (!o.wait) return showConfig(ctx, armed);
      return waitForConfig(ctx, armed, Number(o.timeout));
    });
  clientCommand(configs, "cancel <ID>", "cancel a config").action(async (id: string, o: CommonOptions) => {
    const ctx = cliContext(o);
    showConfig(ctx, await ctx.client.configs.cancel(id));
  });
}
