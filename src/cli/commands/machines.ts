import type { Command } from "commander";
import {
  clientCommand,
  cliContext,
  resourceCommand,
  pairs,
  repeatable,
  type CommonOptions,
} from "../context.js";
import { show, showFields } from "../output.js";
import { machineFields } from "../record-views.js";
import { registerMachineTimeline } from "./machine-timeline.js";

type Row = Record<string, unknown>;
const LABEL = "--label <key=value>";

/** `enforcer machines list|show|register|edit|forget|events|timeline` */
export function registerMachines(program: Command): void {
  const machines = resourceCommand(
    program,
    "machines",
    "discovered and registered machines (list, show, register, edit, forget, events, timeline)",
  );
  clientCommand(machines, "list", "list machines (the default), filtered and paged", true)
    .option("--search <text>", "only machines whose id, hostname or labels contain this")
    .option(LABEL, "only machines with this label; repeat it: every label must match", repeatable)
    .option("--state <state>", "only machines whose config is in this state (armed, triggered, ...)")
    .option("--limit <n>", "at most this many (default 100)")
    .option("--offset <n>", "skip this many first")
    .action(
      async (
        o: CommonOptions & {
          search?: string;
          label?: string[];
          state?: string;
          limit?: string;
          offset?: string;
        },
      ) => {
        const ctx = cliContext(o);
        const r = await ctx.client.machines.list({
          search: o.search,
          labels: pairs(o.label, "--label"),
          state: o.state,
          limit: o.limit ? Number(o.limit) : undefined,
          offset: o.offset ? Number(o.offset) : undefined,
        });
        show(ctx, r, r.items, ["id", "hostname", "state", "labels", "platform", "lastSeen"]);
        if (!ctx.json && r.total > r.items.length)
          ctx.err(`${r.items.length} of ${r.total} shown; use --limit and --offset\n`);
      },
    );
  clientCommand(machines, "show <MAC>", "one machine with its facts").action(
    async (mac: string, o: CommonOptions) => {
      const ctx = cliContext(o);
      const m = (await ctx.client.machines.get(mac)) as Row;
      showFields(ctx, m, machineFields(m));
    },
  );
  clientCommand(machines, "register <MAC>", "register a machine before it boots")
    .option("--hostname <name>", "its host name")
    .option(LABEL, "a label; repeat it for more", repeatable)
    .action(async (mac: string, o: CommonOptions & { hostname?: string; label?: string[] }) => {
      const ctx = cliContext(o);
      const labels = pairs(o.label, "--label");
      const m = (await ctx.client.machines.register({ mac, hostname: o.hostname, labels })) as Row;
      showFields(ctx, m, machineFields(m));
    });
  clientCommand(machines, "edit <MAC>", "change a machine's host name or labels")
    .option("--hostname <name>", "the new host name")
    .option(LABEL, "the labels (replace all of them); repeat it for more", repeatable)
    .action(async (mac: string, o: CommonOptions & { hostname?: string; label?: string[] }) => {
      const ctx = cliContext(o);
      const labels = pairs(o.label, "--label");
      const m = (await ctx.client.machines.update(mac, { hostname: o.hostname, labels })) as Row;
      showFields(ctx, m, machineFields(m));
    });
  clientCommand(machines, "forget <MAC>", "forget a machine and its history").action(
    async (mac: string, o: CommonOptions) => {
      const ctx = cliContext(o);
      await ctx.client.machines.forget(mac);
      ctx.out(`forgot ${mac}\n`);
    },
  );
  clientCommand(machines, "events <MAC>", "a machine's recorded events").action(
    async (mac: string, o: CommonOptions) => {
      const ctx = cliContext(o);
      const r = await ctx.client.machines.events(mac);
      show(ctx, r, r.items as unknown as Row[], ["seq", "at", "kind", "config"]);
    },
  );
  registerMachineTimeline(machines);
}
