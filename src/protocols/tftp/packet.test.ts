import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decodePacket, encodeAck, encodeError, encodeOack, encodeRequest } from "./packet.js";

test("RRQ with options decodes; option names are case-insensitive; first value wins", () => {
  const p = decodePacket(
    Buffer.concat([
      encodeRequest("undionly.kpxe", "OCTET", { BLKSIZE: "1432", tsize: "0" }),
      Buffer.from("blksize\x00512\x00"),
    ]),
  );
  assert.equal(p.op, "rrq");
  if (p.op !== "rrq") return;
  assert.equal(p.filename.toString(), "undionly.kpxe");
  assert.equal(p.mode, "octet");
  assert.deepEqual(
    [...p.options],
    [
      ["blksize", "1432"],
      ["tsize", "0"],
    ],
  );
});

test("ACK, ERROR and OACK round-trip", () => {
  assert.deepEqual(decodePacket(encodeAck(65536 + 7)), { op: "ack", block: 7 });
  assert.deepEqual(decodePacket(encodeError(1, "file not found: x")), {
    op: "error",
    code: 1,
    message: "file not found: x",
  });
  const oack = decodePacket(
    encodeOack(
      new Map([
        ["blksize", "1468"],
        ["tsize", "9"],
      ]),
    ),
  );
  assert.deepEqual(oack.op === "oack" && [...oack.options], [
    ["blksize", "1468"],
    ["tsize", "9"],
  ]);
});

test("malformed datagrams are named, not thrown", () => {
  const cases: [Buffer, RegExp][] = [
    [Buffer.from([0, 1]), /too short/],
    [Buffer.from([0, 9, 0, 0]), /unknown opcode 9/],
    [Buffer.from("\0\x01file\0"), /lacks/],
    [Buffer.from("\0\x01file\0octet"), /lacks/],
    [Buffer.from("\0\x01\0octet\0"), /empty file name/],
    [Buffer.from("\0\x01f\0binary\0"), /unknown transfer mode/],
    [Buffer.from([0, 4, 0, 1, 0]), /ACK of 5 bytes/],
    [Buffer.concat([Buffer.from("\0\x01"), Buffer.alloc(2000, 0x41), Buffer.from("\0octet\0")]), /too long/],
  ];
  for (const [buf, re] of cases) {
    const p = decodePacket(buf);
    assert.equal(p.op, "malformed");
    assert.match(p.op === "malformed" ? p.reason : "", re);
  }
});

test("property: any datagram decodes to a packet or a reason, never an exception", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1600 }), (bytes) => {
      const p = decodePacket(Buffer.from(bytes));
      assert.ok(typeof p.op === "string");
    }),
    { numRuns: 5000 },
  );
  // Requests with random fields around valid opcodes, which reach deeper into the parser.
  fc.assert(
    fc.property(
      fc.constantFrom(1, 2, 6),
      fc.array(fc.string({ maxLength: 30 }), { maxLength: 12 }),
      (op, fields) => {
        const p = decodePacket(
          Buffer.concat([Buffer.from([0, op]), Buffer.from(fields.join("\0") + "\0", "latin1")]),
        );
        assert.ok(typeof p.op === "string");
      },
    ),
    { numRuns: 3000 },
  );
});
