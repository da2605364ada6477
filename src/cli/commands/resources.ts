import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { arg, type CliContext } from "../context.js";
import { table, UsageError } from "../output.js";
import { waitForConfig } from "./wait.js";

type Row = Record<string, unknown>;

/** Prints rows as a table, or as JSON with --json. */
export function show(ctx: CliContext, data: unknown, rows?: Row[], columns?: string[]): void {
  if (ctx.json || !rows || !columns) ctx.out(`${JSON.stringify(data, null, ctx.json ? 0 : 2)}\n`);
  else ctx.out(table(rows, columns));
}

/** `k=v` pairs from repeatable flags into a map. */
function pairs(values: unknown, what: string): Record<string, string> | undefined {
  if (values === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const p of values as string[]) {
    const i = p.indexOf("=");
    if (i <= 0) throw new UsageError(`${what} must be key=value, got "${p}"`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

/** Reads a YAML or JSON file given with -f. */
export function readDocument(ctx: CliContext): unknown {
  const file = ctx.flags.file as string | undefined;
  if (!file) throw new UsageError("-f FILE is required");
  try {
    const text = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
    return file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message.split("\n")[0]}`);
  }
}

/** Options each resource command understands. */
export const RESOURCE_OPTIONS = {
  search: { type: "string" },
  label: { type: "string", multiple: true },
  limit: { type: "string" },
  offset: { type: "string" },
  hostname: { type: "string" },
  machine: { type: "string" },
  state: { type: "string" },
  var: { type: "string", multiple: true },
  file: { type: "string", short: "f" },
  wait: { type: "boolean" },
  timeout: { type: "string" },
  after: { type: "string" },
  "discovery-url": { type: "string" },
  merge: { type: "boolean" },
  dismiss: { type: "boolean" },
  all: { type: "boolean" },
} as const;

/** `enforcer machines ...` */
export async function machines(ctx: CliContext): Promise<void> {
  const c = ctx.client.machines;
  const [verb = "list"] = ctx.args;
  const labels = pairs(ctx.flags.label, "--label");
  switch (verb) {
    case "list": {
      const label = labels ? Object.entries(labels).map(([k, v]) => `${k}=${v}`)[0] : undefined;
      const limit = ctx.flags.limit ? Number(ctx.flags.limit) : undefined;
      const r = await c.list({
        search: ctx.flags.search as string | undefined,
        label,
        state: ctx.flags.state as string | undefined,
        limit,
        offset: ctx.flags.offset ? Number(ctx.flags.offset) : undefined,
      });
      show(ctx, r, r.items, ["id", "hostname", "state", "labels", "platform", "lastSeen"]);
      if (!ctx.json && r.total > r.items.length)
        ctx.err(`${r.items.length} of ${r.total} shown; use --limit and --offset\n`);
      return;
    }
    case "show":
      return show(ctx, await c.get(arg(ctx, 1, "MAC")));
    case "register":
      return show(
        ctx,
        await c.register({
          mac: arg(ctx, 1, "MAC"),
          hostname: ctx.flags.hostname as string | undefined,
          labels,
        }),
      );
    case "edit":
      return show(
        ctx,
        await c.update(arg(ctx, 1, "MAC"), { hostname: ctx.flags.hostname as string | undefined, labels }),
      );
    case "forget":
      await c.forget(arg(ctx, 1, "MAC"));
      return ctx.out(`forgot ${ctx.args[1]}\n`);
    case "events": {
      const r = await c.events(arg(ctx, 1, "MAC"));
      return show(ctx, r, r.items as unknown as Row[], ["seq", "at", "kind", "config"]);
    }
    default:
      throw new UsageError(`machines: unknown action "${verb}" (list, show, register, edit, forget, events)`);
  }
}

/** `enforcer profiles ...` */
export async function profiles(ctx: CliContext): Promise<void> {
  const c = ctx.client.profiles;
  const [verb = "list"] = ctx.args;
  switch (verb) {
    case "list": {
      const r = await c.list();
      return show(ctx, r, r.items, ["name", "family", "location", "updatedAt"]);
    }
    case "show":
      return show(ctx, await c.get(arg(ctx, 1, "NAME")));
    case "create":
      return show(ctx, await c.create(readDocument(ctx) as Row));
    case "replace":
      return show(ctx, await c.replace(arg(ctx, 1, "NAME"), readDocument(ctx) as Row));
    case "delete":
      await c.remove(arg(ctx, 1, "NAME"));
      return ctx.out(`deleted profile ${ctx.args[1]}\n`);
    case "preview": {
      const r = (await c.preview(
        arg(ctx, 1, "NAME"),
        arg(ctx, 2, "MAC"),
        pairs(ctx.flags.var, "--var"),
      )) as Row;
      if (ctx.json) return show(ctx, r);
      const scripts = r.scripts as Record<string, string>;
      ctx.out(`# pcbios\n${scripts.pcbios}\n# efi\n${scripts.efi}`);
      for (const [name, text] of Object.entries(r.files as Record<string, string>))
        ctx.out(`\n# file ${name}\n${text}\n`);
      return;
    }
    default:
      throw new UsageError(
        `profiles: unknown action "${verb}" (list, show, create, replace, delete, preview)`,
      );
  }
}

/** `enforcer configs ...` */
export async function configs(ctx: CliContext): Promise<void> {
  const c = ctx.client.configs;
  const [verb = "list"] = ctx.args;
  switch (verb) {
    case "list": {
      const r = await c.list({
        machine: ctx.flags.machine as string | undefined,
        state: ctx.flags.state as string | undefined,
      });
      return show(ctx, r, r.items, ["id", "machine", "profile", "state", "createdAt"]);
    }
    case "show":
      return show(ctx, await c.get(arg(ctx, 1, "ID")));
    case "create":
      return show(
        ctx,
        await c.create({
          machine: arg(ctx, 1, "MAC"),
          profile: arg(ctx, 2, "PROFILE"),
          variables: pairs(ctx.flags.var, "--var"),
        }),
      );
    case "arm": {
      const armed = (await c.arm(arg(ctx, 1, "ID"))) as Row;
      if (!ctx.flags.wait) return show(ctx, armed);
      return waitForConfig(ctx, armed, Number(ctx.flags.timeout ?? 3600));
    }
    case "cancel":
      return show(ctx, await c.cancel(arg(ctx, 1, "ID")));
    default:
      throw new UsageError(`configs: unknown action "${verb}" (list, show, create, arm [--wait], cancel)`);
  }
}

/** `enforcer commands ...` */
export async function commands(ctx: CliContext): Promise<void> {
  const [verb = "list"] = ctx.args;
  switch (verb) {
    case "reboot":
      return show(ctx, await ctx.client.commands.reboot(arg(ctx, 1, "MAC")));
    case "list": {
      const r = await ctx.client.commands.list({
        machine: ctx.flags.machine as string | undefined,
        state: ctx.flags.state as string | undefined,
      });
      return show(ctx, r, r.items, ["id", "machine", "type", "state", "updatedAt"]);
    }
    case "show":
      return show(ctx, await ctx.client.commands.get(arg(ctx, 1, "ID")));
    default:
      throw new UsageError(`commands: unknown action "${verb}" (reboot, list, show)`);
  }
}

/** `enforcer discovery [status|on|off]` and `enforcer remotes [list|set URL...]` */
export async function settings(ctx: CliContext, area: "discovery" | "remotes"): Promise<void> {
  const s = ctx.client.settings;
  const [verb = area === "discovery" ? "status" : "list"] = ctx.args;
  if (area === "discovery") {
    if (verb === "status") return show(ctx, await s.discovery());
    if (verb === "on" || verb === "off")
      return show(ctx, await s.setDiscovery(verb === "on", ctx.flags["discovery-url"] as string | undefined));
    throw new UsageError(`discovery: unknown action "${verb}" (status, on [--discovery-url URL], off)`);
  }
  if (verb === "list") return show(ctx, await s.remotes());
  if (verb === "set") return show(ctx, await s.setRemotes(ctx.args.slice(1)));
  throw new UsageError(`remotes: unknown action "${verb}" (list, set URL...)`);
}

/** `enforcer tokens ...` */
export async function tokens(ctx: CliContext): Promise<void> {
  const [verb = "list"] = ctx.args;
  switch (verb) {
    case "list": {
      const r = await ctx.client.tokens.list();
      return show(ctx, r, r.items, ["id", "name", "role", "machine", "createdAt"]);
    }
    case "create": {
      const r = await ctx.client.tokens.create(
        arg(ctx, 1, "NAME"),
        arg(ctx, 2, "ROLE"),
        ctx.flags.machine as string | undefined,
      );
      if (ctx.json) return show(ctx, r);
      return (
        ctx.out(`${r.token}\n`),
        ctx.err(`token ${String(r.id)} (${String(r.role)}): shown once, store it now\n`)
      );
    }
    case "revoke":
      await ctx.client.tokens.revoke(arg(ctx, 1, "ID"));
      return ctx.out(`revoked ${ctx.args[1]}\n`);
    default:
      throw new UsageError(
        `tokens: unknown action "${verb}" (list, create NAME ROLE [--machine MAC], revoke ID)`,
      );
  }
}

/** `enforcer events [--machine MAC] [--after N]`: follows the live stream until interrupted. */
export async function events(ctx: CliContext): Promise<void> {
  const ac = new AbortController();
  process.once("SIGINT", () => ac.abort());
  await ctx.client.events(
    (e) =>
      ctx.out(
        ctx.json
          ? `${JSON.stringify(e)}\n`
          : `${e.seq}\t${e.at}\t${e.machine}\t${e.kind}${e.config ? `\t${e.config}` : ""}\n`,
      ),
    {
      machine: ctx.flags.machine as string | undefined,
      after: ctx.flags.after !== undefined ? Number(ctx.flags.after) : undefined,
      signal: ac.signal,
    },
  );
}
