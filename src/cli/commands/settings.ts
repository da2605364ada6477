import type { Command } from "commander";
import {
  clientCommand,
  cliContext,
  resourceCommand,
  type CliContext,
  type CommonOptions,
} from "../context.js";
import { show, showFields } from "../output.js";
import { discoveryFields } from "../record-views.js";

/** `enforcer discovery status|on|off` and `enforcer remotes list|set`; returns the discovery command. */
export function registerSettings(program: Command): Command {
  const discovery = resourceCommand(
    program,
    "discovery",
    "whether unknown machines boot the discovery image (status, on, off, build)",
  );
  clientCommand(discovery, "status", "is discovery on, and from where (the default)", true).action(
    async (o: CommonOptions) => {
      const ctx = cliContext(o);
      const d = await ctx.client.settings.discovery();
      showFields(ctx, d, discoveryFields(d));
      if (!ctx.json && !d.enabled)
        ctx.err("unknown machines fall through to the next boot source; enforcer discovery on turns it on\n");
    },
  );
  clientCommand(discovery, "on", "turn discovery on")
    .option("--discovery-url <url>", "where the discovery image is served")
    .action(async (o: CommonOptions & { discoveryUrl?: string }) => {
      const ctx = cliContext(o);
      showDiscovery(ctx, await ctx.client.settings.setDiscovery(true, o.discoveryUrl));
    });
  clientCommand(discovery, "off", "turn discovery off").action(async (o: CommonOptions) => {
    const ctx = cliContext(o);
    showDiscovery(ctx, await ctx.client.settings.setDiscovery(false));
  });
  const remotes = resourceCommand(
    program,
    "remotes",
    "other Enforcers a machine falls through to (list, set)",
  );
  clientCommand(remotes, "list", "list them (the default)", true).action(async (o: CommonOptions) => {
    const ctx = cliContext(o);
    showRemotes(ctx, await ctx.client.settings.remotes());
  });
  clientCommand(remotes, "set [URL...]", "replace the list (none clears it)").action(
    async (urls: string[] | undefined, o: CommonOptions) => {
      const ctx = cliContext(o);
      showRemotes(ctx, await ctx.client.settings.setRemotes(urls ?? []));
    },
  );
  return discovery;
}

function showDiscovery(ctx: CliContext, d: unknown): void {
  showFields(ctx, d, discoveryFields(d as { enabled: boolean; url: string | null }));
}

/** The remotes one URL a line, in the order a machine falls through to them. */
function showRemotes(ctx: CliContext, r: { remotes: string[] }): void {
  show(
    ctx,
    r,
    r.remotes.map((url, i) => ({ order: i + 1, url })),
    ["order", "url"],
  );
}
