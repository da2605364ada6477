import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { removeStale } from "./lock-file.js";

test("a stale lock is removed, but not a fresh one another starting process wrote since it was judged", () => {
  const d = mkdtempSync(join(tmpdir(), "enforcer-lock-"));
  const lock = join(d, "LOCK");
  writeFileSync(lock, '{"pid":42}');
  removeStale(lock, '{"pid":7}'); // judged a different (older) lock: this one is someone's fresh lock
  assert.equal(readFileSync(lock, "utf8"), '{"pid":42}');
  removeStale(lock, '{"pid":42}');
  assert.deepEqual(readdirSync(d), [], "the stale lock and its moved-aside copy are gone");
  removeStale(lock, '{"pid":42}'); // already gone: nothing to do
});
