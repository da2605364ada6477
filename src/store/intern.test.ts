import assert from "node:assert/strict";
import { test } from "node:test";
import { StringPool } from "./intern.js";

test("interning leaves every record as it was: nested objects, arrays, numbers, nulls, long strings", () => {
  const long = "x".repeat(1000);
  const parsed = JSON.parse(
    JSON.stringify({
      machines: {
        a: { vendor: "QEMU", disks: [{ model: "SAMSUNG", sizeBytes: 1 }], nics: [], note: null, ok: true },
        b: { vendor: "QEMU", disks: [{ model: "SAMSUNG", sizeBytes: 2 }], file: long, tags: ["r1", "r1"] },
      },
    }),
  ) as Record<string, unknown>;
  const before = structuredClone(parsed);
  const pool = new StringPool();
  assert.equal(pool.intern(parsed), parsed, "interned in place");
  assert.deepEqual(parsed, before);
  assert.equal(pool.intern("plain"), "plain");
  assert.equal(pool.intern(null), null);
});
