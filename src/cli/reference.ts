import type { Command, Option } from "commander";
import { EXIT_MEANINGS } from "./output.js";

// docs/cli.md is written from the commander program itself (scripts/gen-cli-docs.mjs), so every command,
// argument, option and default in it is the one the binary has; test/cli-reference.test.ts fails when the
// file falls behind the program.

/** What to add under a command the program cannot describe itself, by its path (`serve`). */
export type ReferenceNotes = Record<string, string>;

/** The CLI reference as Markdown: the common options and exit codes once, then every command in order. */
export function cliReference(program: Command, notes: ReferenceNotes = {}): string {
  const common = options(program);
  const commonKeys = new Set(common.map(key));
  const out = [
    "# Command line reference",
    "",
    "<!-- Generated from the program by `npm run docs:cli` (scripts/gen-cli-docs.mjs); do not edit by hand:",
    "     test/cli-reference.test.ts fails when this file is out of date. -->",
    "",
    `${program.description()} Usage: \`${program.name()} ${program.usage()}\`.`,
    "",
    "Every client command (all but `serve`, `discovery build` and `agent`) also takes these, before or after",
    "its action:",
    "",
    ...common.map(optionLine),
    "",
    "Exit codes:",
    "",
    ...Object.values(EXIT_MEANINGS).map(([code, meaning]) => `- \`${code}\`: ${meaning}`),
    "",
    "## Commands",
    "",
    ...commandsOf(program).map((c) => `- [\`${path(c)}\`](#${anchor(path(c))}): ${c.description()}`),
    "",
  ];
  for (const c of commandsOf(program)) out.push(...section(c, commonKeys, notes));
  return out.join("\n");
}

function section(cmd: Command, commonKeys: Set<string>, notes: ReferenceNotes): string[] {
  const name = path(cmd);
  const actions = commandsOf(cmd);
  // Only arguments with a description get a list; the usage line names every one.
  const args = cmd.registeredArguments.filter((a) => a.description);
  const own = options(cmd).filter((o) => !commonKeys.has(key(o)));
  const lines = [`${"#".repeat(1 + name.split(" ").length)} ${name}`, "", `${cmd.description()}`, ""];
  if (actions.length === 0 || args.length > 0 || own.length > 0)
    lines.push("```", `${usage(cmd)}`, "```", "");
  if (args.length > 0) {
    lines.push("Arguments:", "");
    for (const a of args)
      lines.push(
        `- \`${a.name()}${a.variadic ? "..." : ""}\`${a.required ? "" : " (optional)"}` +
          `${a.description ? `: ${a.description}` : ""}`,
      );
    lines.push("");
  }
  if (own.length > 0) lines.push("Options:", "", ...own.map(optionLine), "");
  if (notes[name]) lines.push(notes[name], "");
  if (actions.length > 0) {
    const dflt = actions.find((a) => isDefault(cmd, a));
    lines.push(
      `Actions: ${actions.map((a) => `[\`${a.name()}\`](#${anchor(path(a))})`).join(", ")}` +
        (dflt ? ` (\`${path(cmd)}\` alone runs \`${dflt.name()}\`).` : "."),
      "",
    );
  }
  for (const a of actions) lines.push(...section(a, commonKeys, notes));
  return lines;
}

function commandsOf(cmd: Command): Command[] {
  return cmd
    .createHelp()
    .visibleCommands(cmd)
    .filter((c) => c.name() !== "help");
}

function options(cmd: Command): Option[] {
  return cmd
    .createHelp()
    .visibleOptions(cmd)
    .filter((o) => o.long !== "--help");
}

function optionLine(o: Option): string {
  const dflt =
    o.defaultValue === undefined || o.negate
      ? ""
      : ` (default: \`${o.defaultValueDescription ?? String(o.defaultValue)}\`)`;
  return `- \`${o.flags}\`: ${o.description}${dflt}`;
}

/** An option is the common one only if its flags and description are the program's: `agent` has twins. */
function key(o: Option): string {
  return `${o.flags}\n${o.description}`;
}

function path(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

function usage(cmd: Command): string {
  const parents: string[] = [];
  for (let c = cmd.parent; c; c = c.parent) parents.unshift(c.name());
  return `${[...parents, cmd.name()].join(" ")} ${cmd.usage()}`.trimEnd();
}

function isDefault(parent: Command, child: Command): boolean {
  // Commander keeps the default subcommand's name privately; its help marks nothing, so read it here.
  return (parent as unknown as { _defaultCommandName?: string })._defaultCommandName === child.name();
}

/** GitHub's heading anchor for `## <text>`: lower case, spaces to dashes, other punctuation dropped. */
function anchor(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, "")
    .replace(/ /g, "-");
}
