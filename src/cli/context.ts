import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { EnforcerClient } from "../client/api-client.js";
import { UsageError } from "./output.js";

/** What every client subcommand gets: the API client and how to print. */
export interface CliContext {
  client: EnforcerClient;
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The options every client subcommand understands, as commander hands them over. */
export interface CommonOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** A client subcommand under `parent` (run when none is named if `isDefault`) with the options every one has: --url, --token, --json. */
export function clientCommand(
  parent: Command,
  nameAndArgs: string,
  description: string,
  isDefault = false,
): Command {
  return withCommonOptions(parent.command(nameAndArgs, { isDefault }).description(description)).hook(
    "preAction",
    (_self, action) => {
      // The old CLI took --url, --token and --json anywhere (`enforcer machines --json list`): commander
      // files one given before the action under the command it follows, so take it from there.
      const given = action.optsWithGlobals<CommonOptions>();
      for (const key of COMMON_KEYS)
        if (action.getOptionValue(key) === undefined && given[key] !== undefined)
          action.setOptionValue(key, given[key]);
    },
  );
}

const COMMON_KEYS = ["url", "token", "json"] as const;

/** Adds --url, --token and --json, which every client command (and the program and resources, ahead of an action) take. */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option("--url <url>", "the Enforcer to talk to (or ENFORCER_URL; default http://127.0.0.1:8080)")
    .option("--token <token>", "an API token (or ENFORCER_TOKEN)")
    .option("--json", "print JSON, for scripts");
}

/** A resource command (`enforcer machines ...`) whose actions are subcommands; a word naming none is a usage error. */
export function resourceCommand(program: Command, name: string, description: string): Command {
  // Without this, commander hands an unknown action to the default one ("too many arguments for 'list'").
  return withCommonOptions(program.command(name).description(description)).hook(
    "preSubcommand",
    (self, sub) => {
      const first = self.args[0];
      const named = first === sub.name() || sub.aliases().includes(first ?? "");
      if (first !== undefined && !first.startsWith("-") && !named) {
        const actions = self.commands.map((c) => c.name()).filter((n) => n !== "help");
        throw new UsageError(`${name}: unknown action "${first}" (${actions.join(", ")})`);
      }
    },
  );
}

/** The context for a subcommand; ENFORCER_URL and ENFORCER_TOKEN fill what the flags leave out. */
export function cliContext(opts: CommonOptions, env: NodeJS.ProcessEnv = process.env): CliContext {
  const url = opts.url ?? env.ENFORCER_URL ?? "http://127.0.0.1:8080";
  return {
    client: new EnforcerClient(url, opts.token ?? env.ENFORCER_TOKEN),
    json: opts.json === true,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  };
}

/** Commander's collector for a repeatable option: every occurrence, in order. */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `k=v` pairs from a repeatable flag into a map; undefined when the flag was not given. */
export function pairs(values: string[] | undefined, what: string): Record<string, string> | undefined {
  if (values === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const p of values) {
    const i = p.indexOf("=");
    if (i <= 0) throw new UsageError(`${what} must be key=value, got "${p}"`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

/** Reads a YAML or JSON file given with -f (`-` is standard input). */
export function readDocument(file: string | undefined): unknown {
  if (!file) throw new UsageError("-f FILE is required");
  try {
    const text = file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
    return file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message.split("\n")[0]}`);
  }
}
