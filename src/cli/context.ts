import { parseArgs } from "node:util";
import { EnforcerClient } from "../client/api-client.js";
import { UsageError } from "./output.js";

/** What every client subcommand gets: the API client, its arguments and how to print. */
export interface CliContext {
  client: EnforcerClient;
  args: string[];
  flags: Record<string, string | boolean | string[] | undefined>;
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Options every client subcommand understands, plus its own. */
const COMMON = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
} as const;

/** Parses a subcommand's argv; ENFORCER_URL and ENFORCER_TOKEN fill what the flags leave out. */
export function cliContext(
  argv: string[],
  own: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }>,
  env: NodeJS.ProcessEnv,
): CliContext {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON, ...own }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]!);
  }
  const flags = parsed.values as CliContext["flags"];
  const url = (flags.url as string | undefined) ?? env.ENFORCER_URL ?? "http://127.0.0.1:8080";
  const token = (flags.token as string | undefined) ?? env.ENFORCER_TOKEN;
  return {
    client: new EnforcerClient(url, token),
    args: parsed.positionals,
    flags,
    json: flags.json === true,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  };
}

/** The positional argument at `i`, or a usage error naming it. */
export function arg(ctx: CliContext, i: number, name: string): string {
  const v = ctx.args[i];
  if (v === undefined) throw new UsageError(`missing ${name}`);
  return v;
}
