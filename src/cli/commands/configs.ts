import type { Command } from "commander";
import {
  clientCommand,
  cliContext,
  resourceCommand,
  pairs,
  repeatable,
  type CommonOptions,
} from "../context.js";
import { show } from "../output.js";
import { waitForConfig } from "./wait.js";

type Filter = CommonOptions & { machine?: string; state?: string };

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
    show(ctx, await ctx.client.configs.get(id));
  });
  clientCommand(configs, "create <MAC> <PROFILE>", "a config of a profile for a machine")
    .option("--var <key=value>", "a variable for the templates; repeat it for more", repeatable)
    .action(async (machine: string, profile: string, o: CommonOptions & { var?: string[] }) => {
      const ctx = cliContext(o);
      const variables = pairs(o.var, "--var");
      show(ctx, await ctx.client.configs.create({ machine, profile, variables }));
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
      if (!o.wait) return show(ctx, armed);
      return waitForConfig(ctx, armed, Number(o.timeout));
    });
  clientCommand(configs, "cancel <ID>", "cancel a config").action(async (id: string, o: CommonOptions) => {
    const ctx = cliContext(o);
    show(ctx, await ctx.client.configs.cancel(id));
  });
}
