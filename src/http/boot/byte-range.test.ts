import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { byteRange } from "./byte-range.js";

test("byte ranges: one range, suffixes, open ends; several or malformed are ignored", () => {
  assert.deepEqual(byteRange(undefined, 100), { kind: "full" });
  assert.deepEqual(byteRange("bytes=0-9", 100), { kind: "partial", start: 0, end: 10 });
  assert.deepEqual(byteRange("bytes=90-", 100), { kind: "partial", start: 90, end: 100 });
  assert.deepEqual(byteRange("bytes=-10", 100), { kind: "partial", start: 90, end: 100 });
  assert.deepEqual(byteRange("bytes=-1000", 100), { kind: "partial", start: 0, end: 100 });
  assert.deepEqual(byteRange("bytes=50-5000", 100), { kind: "partial", start: 50, end: 100 });
  assert.deepEqual(byteRange("bytes=100-", 100), { kind: "unsatisfiable" });
  assert.deepEqual(byteRange("bytes=-0", 100), { kind: "unsatisfiable" });
  for (const h of ["bytes=0-1,5-6", "bytes=5-1", "items=0-1", "bytes=-", "bytes=1e3-", "bytes= 1-2", ""])
    assert.deepEqual(byteRange(h, 100), { kind: "full" }, h);
});

test("byte ranges: any header gives a range inside the file, or none (property)", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), fc.nat({ max: 1e9 }), (h, size) => {
      const r = byteRange(`bytes=${h}`, size);
      if (r.kind === "partial") assert.ok(r.start >= 0 && r.start < r.end && r.end <= size);
    }),
    { numRuns: 2000 },
  );
});
