// The documents the code, the scripts and the docs name exist: a reader sent to docs/x.md finds it.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const ROOTS = ["src", "on-machine", "scripts", "bin", "web/src", "docs", "README.md", "eslint.config.js"];

/** Every file under `path` (a file itself, or a folder walked). */
function files(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => files(join(path, name)));
}

test("docs: every docs/<name>.md that a source file, script or document names exists", () => {
  const missing: string[] = [];
  for (const file of ROOTS.filter((r) => existsSync(r)).flatMap(files)) {
    if (!/\.(ts|js|mjs|sh|md)$/.test(file)) continue;
    for (const [, name] of readFileSync(file, "utf8").matchAll(/\bdocs\/([a-z0-9-]+\.md)\b/g))
      if (!existsSync(join("docs", name!))) missing.push(`${file}: docs/${name}`);
  }
  assert.deepEqual(missing, []);
});

test("docs: nothing points to a design document outside the repository", () => {
  const outside: string[] = [];
  for (const file of ROOTS.filter((r) => existsSync(r)).flatMap(files)) {
    if (!/\.(ts|js|mjs|sh|md)$/.test(file)) continue;
    const text = readFileSync(file, "utf8");
    if (/\.\.\/shared\/|\bDESIGN(\.md|\b)/.test(text)) outside.push(file);
  }
  assert.deepEqual(outside, []);
});
