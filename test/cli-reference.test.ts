// docs/cli.md is generated from the program (npm run docs:cli): this fails when it falls behind.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";
import { format, resolveConfig } from "prettier";

test("docs/cli.md is what npm run docs:cli writes from the program today", async () => {
  const generated = execFileSync(process.execPath, ["scripts/gen-cli-docs.mjs"], { encoding: "utf8" });
  const file = resolve("docs/cli.md");
  const expected = await format(generated, { ...(await resolveConfig(file)), filepath: file });
  assert.ok(
    readFileSync(file, "utf8") === expected,
    "docs/cli.md is out of date with the program: run npm run docs:cli and commit it",
  );
});

test("docs/cli.md names every command and action the binary's help lists", () => {
  const doc = readFileSync("docs/cli.md", "utf8");
  const help = (...args: string[]) =>
    spawnSync(process.execPath, ["bin/enforcer.js", ...args, "--help"], { encoding: "utf8" }).stdout;
  const names = (text: string) =>
    [...text.split("Commands:")[1]!.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!).filter((n) => n !== "help");
  const top = names(help());
  assert.ok(top.length >= 10, help());
  for (const cmd of top) {
    assert.match(doc, new RegExp(`^## ${cmd}$`, "m"), `docs/cli.md lacks ${cmd}`);
    const sub = help(cmd);
    if (!sub.includes("Commands:")) continue;
    for (const action of names(sub))
      assert.match(doc, new RegExp(`^### ${cmd} ${action}$`, "m"), `docs/cli.md lacks ${cmd} ${action}`);
  }
});

test("enforcer --version prints the package's version and exits 0", () => {
  const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  for (const flag of ["--version", "-V"]) {
    const r = spawnSync(process.execPath, ["bin/enforcer.js", flag], { encoding: "utf8" });
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, `${version}\n`, ""], flag);
  }
});
