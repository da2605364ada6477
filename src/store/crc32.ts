import * as zlib from "node:zlib";

// The CRC-32 (IEEE) of the journal and snapshot lines. zlib.crc32 came in Node 20.15, and the last Node 20
// built for 32-bit ARM (Raspberry Pi OS armhf) is 20.11: there the namespace has no crc32 and this table
// computes the same value. A named import would fail to link on 20.11 before any code ran.
const native = (zlib as { crc32?: (data: string) => number }).crc32;

let table: Int32Array | undefined;

/** CRC-32 of a string's UTF-8 bytes, done in JavaScript; the same number as zlib.crc32. */
export function tableCrc32(text: string): number {
  table ??= makeTable();
  const bytes = Buffer.from(text, "utf8");
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function makeTable(): Int32Array {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
}

/** CRC-32 of a string's UTF-8 bytes: zlib's where Node has it (20.15 and later), else the table's. */
export const crc32: (text: string) => number = native ?? tableCrc32;
