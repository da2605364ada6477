import fc from "fast-check";

// fast-check arbitraries for hostile TFTP datagrams: random bytes, and requests, ACKs, DATA, ERROR and OACK
// built to sit on every edge the decoder and the transfer code have.

const HOSTILE_NAMES = [
  "boot.ipxe",
  "big.bin",
  "text.txt",
  "../../etc/passwd",
  "..\\..\\etc\\shadow",
  "/etc/passwd",
  "a/../../b",
  "%2e%2e/secret",
  "/",
  ".",
  "",
  "boot.ipxe\xff\xff\xff",
  "x\x01y",
  "a".repeat(255),
  "a".repeat(256),
  "a".repeat(900),
  "undionly.kpxe",
  "dir/",
];
const MODES = ["octet", "netascii", "NETASCII", "OcTeT", "mail", "binary", "", "octet\x01"];
const OPTION_NAMES = [
  "blksize",
  "BLKSIZE",
  "windowsize",
  "tsize",
  "timeout",
  "multicast",
  "rollover",
  "utimeout",
  "x",
];
const OPTION_VALUES = [
  "0",
  "-1",
  "7",
  "8",
  "512",
  "1468",
  "65464",
  "65465",
  "65535",
  "65536",
  "255",
  "256",
  "4294967296",
  "99999999999999999999",
  "1e3",
  " 12",
  "0x10",
  "",
  "NaN",
];

const latin1 = (s: string) => Buffer.from(s, "latin1");
const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);

const text = fc.oneof(
  fc.constantFrom(...HOSTILE_NAMES),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a).toString("latin1")),
);
const option = fc.tuple(
  fc.oneof(fc.constantFrom(...OPTION_NAMES), text),
  fc.oneof(fc.constantFrom(...OPTION_VALUES), fc.integer().map(String), text),
);

/** RRQ or WRQ with hostile names, modes and options (duplicates, extremes), sometimes missing a NUL. */
export const request = fc
  .record({
    op: fc.constantFrom(1, 2, 1, 1),
    name: text,
    mode: fc.oneof(fc.constantFrom(...MODES), text),
    options: fc.array(option, { maxLength: 8 }),
    dropLastNul: fc.boolean(),
    padding: fc.nat({ max: 3 }),
  })
  .map(({ op, name, mode, options, dropLastNul, padding }) => {
    const parts = [u16(op), latin1(`${name}\0${mode}\0`)];
    for (const [k, v] of options) parts.push(latin1(`${k}\0${v}\0`));
    parts.push(Buffer.alloc(padding));
    const b = Buffer.concat(parts);
    return dropLastNul && padding === 0 ? b.subarray(0, b.length - 1) : b;
  });

/** ACK, DATA, ERROR and OACK with any block number or code, short or long. */
export const reply = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 65535 }), fc.nat({ max: 2 }))
    .map(([b, extra]) => Buffer.concat([u16(4), u16(b), Buffer.alloc(extra)])),
  fc
    .tuple(fc.integer({ min: 0, max: 65535 }), fc.uint8Array({ maxLength: 1500 }))
    .map(([b, d]) => Buffer.concat([u16(3), u16(b), Buffer.from(d)])),
  fc
    .tuple(fc.integer({ min: 0, max: 65535 }), text, fc.boolean())
    .map(([c, m, nul]) => Buffer.concat([u16(5), u16(c), latin1(m + (nul ? "\0" : ""))])),
  fc
    .array(option, { maxLength: 6 })
    .map((o) => Buffer.concat([u16(6), ...o.map(([k, v]) => latin1(`${k}\0${v}\0`))])),
);

/** Anything: random bytes of any length a datagram can have here, short ones often. */
export const randomDatagram = fc
  .oneof(
    fc.uint8Array({ maxLength: 4 }),
    fc.uint8Array({ maxLength: 1500 }),
    fc.uint8Array({ minLength: 1501, maxLength: 9000 }),
  )
  .map((a) => Buffer.from(a));

/** The mix the fuzz tests send. */
export const datagram = fc.oneof(
  { weight: 3, arbitrary: request },
  { weight: 2, arbitrary: reply },
  { weight: 2, arbitrary: randomDatagram },
);
