// Properties of the codec: decoding is total (arbitrary and mutated bytes give a message or the coded error,
// nothing else), and encode/decode round-trip exactly.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { EnforcerError } from "../../domain/errors.js";
import { readFields } from "./fields.js";
import { decodeDhcp, encodeDhcp, type DhcpMessage } from "./packet.js";
import { uefiDiscover, hex, opt } from "./testing/hand-built.js";

/** Bounded in count and in time: a slow machine runs fewer cases, never a longer test. */
const RUNS = { numRuns: 3000, interruptAfterTimeLimit: 15_000 } as const;

/** Decodes, or answers the coded error; anything else thrown fails the property. */
function tryDecode(buf: Buffer): DhcpMessage | EnforcerError {
  try {
    const m = decodeDhcp(buf);
    readFields(m); // the fields must be total too
    return m;
  } catch (err) {
    assert.ok(err instanceof EnforcerError && err.code === "ENF_ERR_DHCP_MALFORMED", `threw ${String(err)}`);
    return err;
  }
}

/** A header and cookie followed by random option TLVs, junk, overload values: mostly decodable datagrams. */
const optionish = fc
  .tuple(
    fc.uint8Array({ minLength: 236, maxLength: 236 }),
    fc.array(
      fc.oneof(
        fc
          .tuple(fc.integer({ min: 1, max: 254 }), fc.uint8Array({ maxLength: 60 }))
          .map(([c, v]) => opt(c, Buffer.from(v))),
        fc.constantFrom(
          hex("00"),
          hex("ff"),
          hex("340101"),
          hex("340103"),
          hex("340104"),
          hex("3501"),
          hex("43ff"),
        ),
        fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
      ),
      { maxLength: 30 },
    ),
    fc.constantFrom(1, 2, 3),
  )
  .map(([head, opts, op]) => {
    const h = Buffer.from(head);
    h[0] = op;
    h[2] = h[2]! % 20;
    return Buffer.concat([h, hex("63825363"), ...opts]);
  });

/** A valid request with a few bytes flipped, cut or inserted: what a fuzzer on the wire sends. */
const mutated = fc
  .tuple(
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    fc.nat(),
    fc.boolean(),
  )
  .map(([flips, cut, trunc]) => {
    const b = Buffer.from(uefiDiscover([opt(77, "iPXE"), opt(175, hex("1301 01"))]));
    for (const [at, v] of flips) b[240 + (at % (b.length - 240))] = v;
    return trunc ? b.subarray(0, cut % b.length) : b;
  });

test("decoding arbitrary bytes throws nothing but ENF_ERR_DHCP_MALFORMED", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1600 }), (b) => void tryDecode(Buffer.from(b))),
    RUNS,
  );
});

test("decoding mutated requests and random option areas throws nothing but the coded error", () => {
  let decoded = 0;
  fc.assert(
    fc.property(fc.oneof(optionish, mutated), (b) => {
      if (!(tryDecode(b) instanceof EnforcerError)) decoded++;
    }),
    RUNS,
  );
  assert.ok(decoded > 100, `only ${decoded} generated datagrams decoded: the generator tests too little`);
});

test("encode(decode(x)) is stable: it decodes to the same message and re-encodes to the same bytes", () => {
  let checked = 0;
  fc.assert(
    fc.property(fc.oneof(optionish, mutated), (b) => {
      const m = tryDecode(b);
      if (m instanceof EnforcerError) return;
      const once = encodeDhcp(m);
      const again = decodeDhcp(once);
      assert.deepEqual(again, m);
      assert.deepEqual(encodeDhcp(again), once);
      checked++;
    }),
    RUNS,
  );
  assert.ok(checked > 100, `only ${checked} messages round-tripped`);
});

const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."));
const latin1 = (max: number) =>
  fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: max }).map((c) => String.fromCharCode(...c));

test("any message the encoder accepts decodes back equal, options of any length included", () => {
  const message = fc.record({
    op: fc.constantFrom(1, 2),
    htype: fc.nat(255),
    hlen: fc.nat(16),
    hops: fc.nat(255),
    xid: fc.nat(0xffffffff),
    secs: fc.nat(0xffff),
    flags: fc.nat(0xffff),
    ciaddr: ip,
    yiaddr: ip,
    siaddr: ip,
    giaddr: ip,
    chaddr: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b)),
    sname: latin1(64),
    file: latin1(128),
    options: fc
      .uniqueArray(
        fc.tuple(
          fc.integer({ min: 1, max: 254 }).filter((c) => c !== 52),
          fc.uint8Array({ maxLength: 600 }),
        ),
        {
          selector: ([c]) => c,
          maxLength: 6,
        },
      )
      .map((pairs) => new Map(pairs.map(([c, v]) => [c, Buffer.from(v)]))),
  });
  fc.assert(
    fc.property(message, (m) => {
      let bytes: Buffer;
      try {
        bytes = encodeDhcp(m);
      } catch (err) {
        // Only a message larger than one frame, or with a message type the decoder would refuse, may be refused.
        assert.ok(
          err instanceof EnforcerError &&
            err.code === "ENF_ERR_DHCP_ENCODE" &&
            /exceeds 1472|option 53/.test(err.message),
          String(err),
        );
        return;
      }
      assert.deepEqual(decodeDhcp(bytes), { ...m });
    }),
    { numRuns: 1000, interruptAfterTimeLimit: 15_000 },
  );
});
