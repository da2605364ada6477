import assert from "node:assert/strict";
import { test } from "node:test";
import { Command } from "commander";
import { withCommonOptions } from "./context.js";
import { cliReference, type ReferenceNotes } from "./reference.js";

function toy(): Command {
  const program = withCommonOptions(new Command("enforcer").description("The toy."));
  const things = withCommonOptions(program.command("things").description("things (list, poke)"));
  withCommonOptions(things.command("list", { isDefault: true }).description("list them"));
  withCommonOptions(things.command("poke <ID> [MORE...]").description("poke one"))
    .option("--hard", "poke harder")
    .option("--times <n>", "how often", "3");
  program.command("run").description("run it").allowUnknownOption();
  return program;
}

test("every command with its usage, own options and defaults; the common options once", () => {
  const notes: ReferenceNotes = { run: "Its options are the settings." };
  const doc = cliReference(toy(), notes);
  assert.match(doc, /^- `--json`: print JSON, for scripts$/m);
  assert.equal(doc.match(/--json/g)?.length, 1, "the common options are listed once, not per command");
  assert.match(doc, /^- \[`things`\]\(#things\): things \(list, poke\)$/m);
  assert.match(
    doc,
    /^## things\n\nthings \(list, poke\)\n\nActions: \[`list`\]\(#things-list\), \[`poke`\]\(#things-poke\) \(`things` alone runs `list`\)\.$/m,
  );
  assert.match(
    doc,
    /^### things poke\n\npoke one\n\n```\nenforcer things poke \[options\] <ID> \[MORE\.\.\.\]\n```$/m,
  );
  assert.match(doc, /^- `--hard`: poke harder$/m);
  assert.match(doc, /^- `--times <n>`: how often \(default: `3`\)$/m);
  assert.match(
    doc,
    /^## run\n\nrun it\n\n```\nenforcer run \[options\]\n```\n\nIts options are the settings\.$/m,
  );
  assert.match(doc, /^- `7`: queued but no agent or power control reaches the machine/m);
});
