/** TFTP opcodes (RFC 1350, RFC 2347). */
export const OP = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;

/** TFTP error codes (RFC 1350 plus 8 from RFC 2347). */
export const TFTP_ERROR = {
  NOT_DEFINED: 0,
  FILE_NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  OPTION_NEGOTIATION: 8,
} as const;

/** A decoded datagram, or why it could not be decoded. */
export type Packet =
  | { op: "rrq" | "wrq"; filename: Buffer; mode: string; options: Map<string, string> }
  | { op: "data"; block: number; data: Buffer }
  | { op: "ack"; block: number }
  | { op: "error"; code: number; message: string }
  | { op: "oack"; options: Map<string, string> }
  | { op: "malformed"; reason: string };

/** Longest request we accept; RFC 2347 limits requests to 512 bytes, some clients send a little more. */
const MAX_REQUEST = 1024;

/** Decodes one datagram. Never throws: anything unexpected is `malformed` with a reason. */
export function decodePacket(buf: Buffer): Packet {
  if (buf.length < 4) return { op: "malformed", reason: `datagram of ${buf.length} bytes is too short` };
  const op = buf.readUInt16BE(0);
  switch (op) {
    case OP.RRQ:
    case OP.WRQ:
      return decodeRequest(buf, op === OP.RRQ ? "rrq" : "wrq");
    case OP.DATA:
      return { op: "data", block: buf.readUInt16BE(2), data: buf.subarray(4) };
    case OP.ACK:
      return buf.length === 4 ? { op: "ack", block: buf.readUInt16BE(2) } : trailing("ACK", buf.length);
    case OP.ERROR: {
      const end = buf.indexOf(0, 4);
      const text = buf.subarray(4, end < 0 ? buf.length : end).toString("latin1");
      return { op: "error", code: buf.readUInt16BE(2), message: printable(text).slice(0, 200) };
    }
    case OP.OACK: {
      const fields = splitStrings(buf.subarray(2));
      if (!fields || fields.length % 2 !== 0)
        return { op: "malformed", reason: "OACK options are not name/value pairs" };
      return { op: "oack", options: pairs(fields) };
    }
    default:
      return { op: "malformed", reason: `unknown opcode ${op}` };
  }
}

function decodeRequest(buf: Buffer, op: "rrq" | "wrq"): Packet {
  if (buf.length > MAX_REQUEST)
    return { op: "malformed", reason: `request of ${buf.length} bytes is too long` };
  const fields = splitStrings(buf.subarray(2));
  if (!fields || fields.length < 2)
    return { op: "malformed", reason: "request lacks a NUL-terminated file name and mode" };
  const [filename, modeBuf, ...rest] = fields;
  const mode = modeBuf!.toString("latin1").toLowerCase();
  if (filename!.length === 0) return { op: "malformed", reason: "empty file name" };
  if (mode !== "octet" && mode !== "netascii" && mode !== "mail") {
    return { op: "malformed", reason: `unknown transfer mode "${printable(mode).slice(0, 20)}"` };
  }
  // An odd trailing field is ignored (some ROMs pad requests), as tftpd-hpa does.
  return { op, filename: filename!, mode, options: pairs(rest.slice(0, rest.length - (rest.length % 2))) };
}

/** Splits NUL-terminated strings; undefined when the last one lacks its NUL. */
function splitStrings(buf: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let start = 0;
  while (start < buf.length) {
    const end = buf.indexOf(0, start);
    if (end < 0) return undefined;
    out.push(buf.subarray(start, end));
    start = end + 1;
  }
  return out;
}

/** Option names are case-insensitive (RFC 2347); a repeated option keeps its first value. */
function pairs(fields: Buffer[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString("latin1").toLowerCase();
    if (!m.has(name)) m.set(name, fields[i + 1]!.toString("latin1"));
  }
  return m;
}

function trailing(what: string, len: number): Packet {
  return { op: "malformed", reason: `${what} of ${len} bytes (expected 4)` };
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?");
}

/** DATA: opcode, block number (already wrapped to 16 bits), payload. */
export function encodeDataHeader(block: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt16BE(OP.DATA, 0);
  b.writeUInt16BE(block & 0xffff, 2);
  return b;
}

/** ACK for a block (used by tests and the lossy relay's client side). */
export function encodeAck(block: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt16BE(OP.ACK, 0);
  b.writeUInt16BE(block & 0xffff, 2);
  return b;
}

/** ERROR with a code and a short ASCII message. */
export function encodeError(code: number, message: string): Buffer {
  const text = Buffer.from(printable(message).slice(0, 200), "latin1");
  const b = Buffer.alloc(5 + text.length);
  b.writeUInt16BE(OP.ERROR, 0);
  b.writeUInt16BE(code, 2);
  text.copy(b, 4);
  return b;
}

/** OACK listing the accepted options only. */
export function encodeOack(options: ReadonlyMap<string, string>): Buffer {
  const parts: Buffer[] = [Buffer.from([0, OP.OACK])];
  for (const [k, v] of options) parts.push(Buffer.from(`${k}\0${v}\0`, "latin1"));
  return Buffer.concat(parts);
}

/** RRQ, for tests and the benchmark's own client. */
export function encodeRequest(filename: string, mode: string, options: Record<string, string> = {}): Buffer {
  const opts = Object.entries(options)
    .map(([k, v]) => `${k}\0${v}\0`)
    .join("");
  return Buffer.concat([Buffer.from([0, OP.RRQ]), Buffer.from(`${filename}\0${mode}\0${opts}`, "latin1")]);
}
