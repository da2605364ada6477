import type { Command } from "commander";
import { stringify as toYaml } from "yaml";
import {
  clientCommand,
  resourceCommand,
  cliContext,
  pairs,
  readDocument,
  repeatable,
  type CommonOptions,
} from "../context.js";
import { show, showFields } from "../output.js";
import { profileFields } from "../record-views.js";

type Row = Record<string, unknown>;
type WithFile = CommonOptions & { file?: string };
const FILE = ["-f, --file <file>", "the profile as YAML or JSON (- for standard input)"] as const;

/** `enforcer profiles list|show|create|replace|delete|preview` */
export function registerProfiles(program: Command): void {
  const profiles = resourceCommand(
    program,
    "profiles",
    "OS profiles: what a config boots (list, show, create, replace, delete, preview)",
  );
  clientCommand(profiles, "list", "list profiles (the default)", true).action(async (o: CommonOptions) => {
    const ctx = cliContext(o);
    const r = await ctx.client.profiles.list();
    show(ctx, r, r.items, ["name", "family", "location", "updatedAt"]);
  });
  clientCommand(profiles, "show <NAME>", "one profile, as YAML that profiles replace -f takes").action(
    async (name: string, o: CommonOptions) => {
      const ctx = cliContext(o);
      const p = (await ctx.client.profiles.get(name)) as Row;
      if (ctx.json) return show(ctx, p);
      const { createdAt, updatedAt, ...doc } = p;
      // yaml escapes C0 controls itself but writes C1 (U+0080-U+009F, CSI among them) as they are.
      const text = `# created ${String(createdAt)}, updated ${String(updatedAt)}\n${toYaml(doc, { blockQuote: "literal", lineWidth: 0 })}`;
      ctx.out(text.replace(/[\x7f-\x9f]/g, "?"));
    },
  );
  clientCommand(profiles, "create", "create a profile from a file")
    .option(...FILE)
    .action(async (o: WithFile) => {
      const ctx = cliContext(o);
      const p = (await ctx.client.profiles.create(readDocument(o.file) as Row)) as Row;
      showFields(ctx, p, profileFields(p));
      if (!ctx.json) ctx.err(`next: enforcer configs create <MAC> ${String(p.name)}\n`);
    });
  clientCommand(profiles, "replace <NAME>", "replace a profile with a file's")
    .option(...FILE)
    .action(async (name: string, o: WithFile) => {
      const ctx = cliContext(o);
      const p = (await ctx.client.profiles.replace(name, readDocument(o.file) as Row)) as Row;
      showFields(ctx, p, profileFields(p));
    });
  clientCommand(profiles, "delete <NAME>", "delete a profile").action(
    async (name: string, o: CommonOptions) => {
      const ctx = cliContext(o);
      await ctx.client.profiles.remove(name);
      ctx.out(`deleted profile ${name}\n`);
    },
  );
  clientCommand(profiles, "preview <NAME> <MAC>", "what a profile renders for a machine")
    .option("--var <key=value>", "a variable for the templates; repeat it for more", repeatable)
    .action(async (name: string, mac: string, o: CommonOptions & { var?: string[] }) => {
      const ctx = cliContext(o);
      const r = (await ctx.client.profiles.preview(name, mac, pairs(o.var, "--var"))) as Row;
      if (ctx.json) return show(ctx, r);
      const scripts = r.scripts as Record<string, string>;
      ctx.out(`# pcbios\n${scripts.pcbios}\n# efi\n${scripts.efi}`);
      for (const [file, text] of Object.entries(r.files as Record<string, string>))
        ctx.out(`\n# file ${file}\n${text}\n`);
    });
}
