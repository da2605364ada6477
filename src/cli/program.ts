import { Command, CommanderError } from "commander";
import { registerAgent } from "./commands/agent.js";
import { registerApply } from "./commands/apply.js";
import { registerAssets } from "./commands/assets.js";
import { registerCommands } from "./commands/commands.js";
import { registerConfigs } from "./commands/configs.js";
import { registerConflicts } from "./commands/conflicts.js";
import { registerDhcp } from "./commands/dhcp.js";
import { registerEvents } from "./commands/events.js";
import { registerMachines } from "./commands/machines.js";
import { registerPower } from "./commands/power.js";
import { registerProfiles } from "./commands/profiles.js";
import { registerSettings } from "./commands/settings.js";
import { registerTokens } from "./commands/tokens.js";
import { withCommonOptions } from "./context.js";
import { describeError, EXIT, EXIT_MEANINGS } from "./output.js";

const FOOTER = `
Client commands talk to the API: --url or ENFORCER_URL, --token or ENFORCER_TOKEN, --json for scripts.
"enforcer <command> --help" and "enforcer <command> <action> --help" show each one's options; all of them
are in docs/cli.md.

${wrap(
  `Exit codes: ${Object.values(EXIT_MEANINGS)
    .map(([code, meaning]) => `${code} ${meaning}`)
    .join(", ")}.`,
)}
`;

/** Text broken into lines of at most `width` at spaces, as the rest of the help is. */
function wrap(text: string, width = 105): string {
  const lines = [""];
  for (const word of text.split(" ")) {
    const last = lines.length - 1;
    if (lines[last] && lines[last]!.length + 1 + word.length > width) lines.push(word);
    else lines[last] = lines[last] ? `${lines[last]} ${word}` : word;
  }
  return lines.join("\n");
}

/** The `enforcer` program with every client subcommand; the entry point adds the server's own. */
export function clientProgram(): { program: Command; discovery: Command } {
  const program = new Command("enforcer")
    .usage("<command> [action] [options]")
    .description("Network boot and provisioning server for iPXE, and its client.")
    // Errors are thrown, not exited on, so the entry point maps them to our exit codes (usage is 2).
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "enforcer: ")) })
    .showHelpAfterError("(add --help for usage)")
    .addHelpText("after", FOOTER);
  withCommonOptions(program);
  registerMachines(program);
  registerProfiles(program);
  registerConfigs(program);
  registerCommands(program);
  registerPower(program);
  registerConflicts(program);
  const discovery = registerSettings(program);
  registerTokens(program);
  registerDhcp(program);
  registerAssets(program);
  registerEvents(program);
  registerApply(program);
  registerAgent(program);
  return { program, discovery };
}

/** The exit code for what a client command threw, after printing its one line (commander printed its own). */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  const { code, line } = describeError(err);
  process.stderr.write(`${line}\n`);
  return code;
}
