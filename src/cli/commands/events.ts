import type { Command } from "commander";
import { clientCommand, cliContext, type CommonOptions } from "../context.js";

/** `enforcer events [--machine MAC] [--after N]`: follows the live stream until interrupted. */
export function registerEvents(program: Command): void {
  clientCommand(program, "events", "follow the live event stream (Ctrl-C stops)")
    .option("--machine <mac>", "only this machine's events")
    .option("--after <seq>", "replay from after this event number first (0: from the start)")
    .action(async (o: CommonOptions & { machine?: string; after?: string }) => {
      const ctx = cliContext(o);
      const ac = new AbortController();
      process.once("SIGINT", () => ac.abort());
      await ctx.client.events(
        (e) =>
          ctx.out(
            ctx.json
              ? `${JSON.stringify(e)}\n`
              : `${e.seq}\t${e.at}\t${e.machine}\t${e.kind}${e.config ? `\t${e.config}` : ""}\n`,
          ),
        { machine: o.machine, after: o.after !== undefined ? Number(o.after) : undefined, signal: ac.signal },
      );
    });
}
