import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ERROR_CODES } from "./errors.js";

const codes = Object.keys(ERROR_CODES);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") && !p.endsWith(".test.ts") ? [p] : [];
  });
}

test("every error code follows ENF_ERR_<AREA>_<WHAT> and is documented in docs/errors.md", () => {
  const doc = readFileSync("docs/errors.md", "utf8");
  for (const code of codes) {
    assert.match(code, /^ENF_ERR_[A-Z]+_[A-Z_]+$/);
    assert.ok(doc.includes(`\`${code}\``), `${code} is missing from docs/errors.md`);
  }
  const documented = [...doc.matchAll(/`(ENF_ERR_[A-Z_]+)`/g)].map((m) => m[1]);
  for (const d of documented) assert.ok(codes.includes(d!), `docs/errors.md documents unknown ${d}`);
});

test("the source uses only registered codes", () => {
  for (const file of sources("src")) {
    for (const m of readFileSync(file, "utf8").matchAll(/"(ENF_ERR_[A-Z_]+)"/g)) {
      assert.ok(codes.includes(m[1]!), `${file} uses unregistered ${m[1]}`);
    }
  }
});
