import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32 as zlibCrc32 } from "node:zlib";
import { crc32, tableCrc32 } from "./crc32.js";

test("the table CRC-32 gives zlib's number: the check value, UTF-8 text, empty and long strings", () => {
  assert.equal(tableCrc32("123456789"), 0xcbf43926); // the CRC-32/IEEE check value
  const cases = [
    "",
    "a",
    "é ü 日本 🙂",
    JSON.stringify({ mac: "52:54:00:00:00:01", n: 1 }),
    "x".repeat(100_000),
  ];
  for (const s of cases) assert.equal(tableCrc32(s), zlibCrc32(s), JSON.stringify(s.slice(0, 20)));
  for (const s of cases) assert.equal(crc32(s), zlibCrc32(s));
});
