import assert from "node:assert/strict";
import { test } from "node:test";
import { parseMac } from "../../domain/mac.js";
import { MAGIC_PACKET_BYTES, magicPacket } from "./magic-packet.js";

test("a magic packet is 6 bytes of 0xff then the MAC 16 times, 102 bytes", () => {
  const p = magicPacket(parseMac("52:54:00:aa:00:07"));
  assert.equal(p.length, MAGIC_PACKET_BYTES);
  assert.equal(p.length, 102);
  assert.deepEqual([...p.subarray(0, 6)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  for (let i = 0; i < 16; i++) {
    assert.deepEqual(
      [...p.subarray(6 + i * 6, 12 + i * 6)],
      [0x52, 0x54, 0x00, 0xaa, 0x00, 0x07],
      `copy ${i}`,
    );
  }
});

test("the same bytes whatever notation the MAC came in, and another MAC's packet differs only in its MAC", () => {
  const a = magicPacket(parseMac("52:54:00:aa:00:07"));
  assert.deepEqual(magicPacket(parseMac("52-54-00-AA-00-07")), a);
  assert.deepEqual(magicPacket(parseMac("5254.00aa.0007")), a);
  const b = magicPacket(parseMac("52:54:00:aa:00:08"));
  assert.notDeepEqual(b, a);
  const differing = [...a.keys()].filter((i) => a[i] !== b[i]);
  assert.deepEqual(
    differing,
    Array.from({ length: 16 }, (_, i) => 6 + i * 6 + 5),
    "only the last byte of each MAC copy",
  );
});

test("a MAC with 0xff bytes still gives exactly 16 copies after the header", () => {
  const p = magicPacket(parseMac("ff:ff:ff:ff:ff:fe"));
  assert.equal(p.length, 102);
  assert.equal(p[101], 0xfe);
  assert.equal(p.filter((x) => x === 0xfe).length, 16);
});
