// The documents the code, the scripts and the docs name exist: a reader sent to docs/x.md finds it.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
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

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/[_`*]/g, "")
    .replace(/ /g, "-");
}

/** The anchors of a markdown file's headings. */
function anchors(file: string): Set<string> {
  const headings = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => /^#{1,6} /.test(l));
  return new Set(headings.map((l) => slug(l.replace(/^#+ /, ""))));
}

const DOCS = ["README.md", "test/lab/README.md", ...readdirSync("docs").map((n) => join("docs", n))];

test("docs: every relative link and #anchor in the README and docs/ resolves", () => {
  const broken: string[] = [];
  for (const file of DOCS.filter((f) => f.endsWith(".md"))) {
    for (const [, target] of readFileSync(file, "utf8").matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, anchor] = target!.split("#");
      const to = path ? join(dirname(file), path) : file;
      if (!existsSync(to)) broken.push(`${file}: ${target}`);
      else if (anchor && to.endsWith(".md") && !anchors(to).has(anchor)) broken.push(`${file}: ${target}`);
    }
  }
  assert.deepEqual(broken, []);
});

test("docs: every source or test file the README and docs/ name in backticks exists", () => {
  const missing: string[] = [];
  for (const file of DOCS.filter((f) => f.endsWith(".md"))) {
    const text = readFileSync(file, "utf8");
    for (const [, path] of text.matchAll(/`((?:src|test|bench|scripts|web)\/[\w./-]+\.(?:ts|mjs|sh|md))`/g))
      if (!existsSync(path!)) missing.push(`${file}: ${path}`);
  }
  assert.deepEqual(missing, []);
});
