import { EnforcerError } from "../../domain/errors.js";
import {
  ipBytes,
  ipText,
  joinOptions,
  malformed,
  OPT,
  readOptions,
  writeOptions,
  type DhcpOptions,
  type OptionParts,
} from "./options.js";

/** BOOTP operation codes (RFC 951): a client's request, a server's reply. */
export const BOOTREQUEST = 1;
/** See BOOTREQUEST. */
export const BOOTREPLY = 2;
/** The magic cookie that starts the options area (RFC 2131 §3): without it the datagram is not DHCP. */
export const MAGIC_COOKIE = 0x63825363;
/** The broadcast bit of `flags` (RFC 2131 §2): the client cannot receive unicast before it has an address. */
export const FLAG_BROADCAST = 0x8000;

/** Fixed BOOTP header (op … file) before the cookie: 236 bytes. */
const HEADER = 236;
/** Header plus the cookie: the smallest DHCP message (no options at all). */
export const MIN_DHCP_DATAGRAM = HEADER + 4;
/**
 * The largest datagram decoded: 1472 bytes, an Ethernet frame of 1500 less the IP and UDP headers. A client
 * without an address sends its message in one frame (RFC 2131 §2 asks clients to accept 576 bytes; iPXE and
 * EDK2 send under 600); anything larger is a forgery, dropped before one byte is parsed or copied.
 */
export const MAX_DHCP_DATAGRAM = 1472;
/** Replies are padded to 300 bytes, the BOOTP minimum some old ROMs still insist on (RFC 1542 §2.1). */
const MIN_REPLY = 300;

/** A DHCP message, as decoded and as encoded: RFC 2131 framing and the options by code. */
export interface DhcpMessage {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  /** All 16 bits; `FLAG_BROADCAST` is the only one defined, the others must be zero but are kept as sent. */
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** All 16 bytes of the client hardware address field; the first `hlen` are the address. */
  chaddr: Buffer;
  /** Server host name, up to the first NUL (latin1); empty when option 52 used the field for options. */
  sname: string;
  /** Boot file name, up to the first NUL (latin1); empty when option 52 used the field for options. */
  file: string;
  /**
   * Options by code, concatenated across instances and the overloaded fields (RFC 3396), in order of first
   * appearance; unknown codes kept as bytes. Never PAD, END or OVERLOAD (52): the encoder never overloads.
   */
  options: DhcpOptions;
}

/** Why a datagram was not decoded, for the server's drop counters. */
export type MalformedKind = "too-short" | "too-large" | "bad-magic" | "malformed";

function reject(kind: MalformedKind, problem: string): never {
  throw new EnforcerError("ENF_ERR_DHCP_MALFORMED", `malformed DHCP message: ${problem}`, { kind, problem });
}

/**
 * Decodes one datagram. Total: a datagram that is not a well-formed DHCP message throws an EnforcerError
 * `ENF_ERR_DHCP_MALFORMED` (details `kind` and `problem`) and nothing else; what it allocates is bounded by
 * `MAX_DHCP_DATAGRAM`, checked first.
 */
export function decodeDhcp(buf: Buffer): DhcpMessage {
  if (buf.length > MAX_DHCP_DATAGRAM)
    reject("too-large", `${buf.length} bytes, more than the ${MAX_DHCP_DATAGRAM} one Ethernet frame holds`);
  if (buf.length < MIN_DHCP_DATAGRAM)
    reject("too-short", `${buf.length} bytes, less than the ${MIN_DHCP_DATAGRAM} of header and cookie`);
  if (buf.readUInt32BE(HEADER) !== MAGIC_COOKIE)
    reject("bad-magic", `magic cookie 0x${buf.readUInt32BE(HEADER).toString(16)}, not 0x63825363`);
  const op = buf[0]!;
  if (op !== BOOTREQUEST && op !== BOOTREPLY) malformed(`op ${op} is neither BOOTREQUEST nor BOOTREPLY`);
  const hlen = buf[2]!;
  if (hlen > 16) malformed(`hardware address length ${hlen} exceeds the 16-byte chaddr field`);
  const snameField = buf.subarray(44, 108);
  const fileField = buf.subarray(108, HEADER);
  const parts: OptionParts = new Map();
  readOptions(buf.subarray(MIN_DHCP_DATAGRAM), parts, "the options area");
  let overload = 0;
  const ov = parts.get(OPT.OVERLOAD);
  if (ov) {
    const v = Buffer.concat(ov);
    if (v.length !== 1 || v[0]! < 1 || v[0]! > 3)
      malformed(`option 52 (overload) has value ${v.subarray(0, 8).toString("hex")}`);
    overload = v[0]!;
  }
  // RFC 2131 §4.1: the file field is read before sname. Option 52 inside them means nothing and is dropped.
  if (overload & 1) readOptions(fileField, parts, "the file field");
  if (overload & 2) readOptions(snameField, parts, "the sname field");
  parts.delete(OPT.OVERLOAD);
  const options = joinOptions(parts);
  const badType = messageTypeProblem(options);
  if (badType) malformed(badType);
  return {
    op,
    htype: buf[1]!,
    hlen,
    hops: buf[3]!,
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: ipText(buf, 12),
    yiaddr: ipText(buf, 16),
    siaddr: ipText(buf, 20),
    giaddr: ipText(buf, 24),
    chaddr: Buffer.from(buf.subarray(28, 44)),
    sname: overload & 2 ? "" : cString(snameField),
    file: overload & 1 ? "" : cString(fileField),
    options,
  };
}

/** Option 53 must be one byte, a type RFC 2132 and its successors define (1 to 18). */
function messageTypeProblem(options: DhcpOptions): string | undefined {
  const type = options.get(OPT.MESSAGE_TYPE);
  if (type && (type.length !== 1 || type[0]! < 1 || type[0]! > 18))
    return `option 53 (message type) has value ${type.subarray(0, 8).toString("hex")}`;
  return undefined;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString("latin1");
}

/** Limits for `encodeDhcp`. */
export interface EncodeLimits {
  /** Largest message to produce: the client's option 57 when it sent one (default `MAX_DHCP_DATAGRAM`). */
  maxSize?: number;
}

/**
 * Encodes a message: header, cookie, options (long ones split per RFC 3396), END, zero padding to 300 bytes.
 * Throws `ENF_ERR_DHCP_ENCODE` for a field that does not fit its place or a message over `maxSize`.
 */
export function encodeDhcp(m: DhcpMessage, limits: EncodeLimits = {}): Buffer {
  const maxSize = limits.maxSize ?? MAX_DHCP_DATAGRAM;
  for (const [name, v, max] of [
    ["op", m.op, 0xff],
    ["htype", m.htype, 0xff],
    ["hlen", m.hlen, 16],
    ["hops", m.hops, 0xff],
    ["xid", m.xid, 0xffffffff],
    ["secs", m.secs, 0xffff],
    ["flags", m.flags, 0xffff],
  ] as const)
    if (!Number.isInteger(v) || v < 0 || v > max) refuse(`${name} ${v} is not an integer from 0 to ${max}`);
  if (m.chaddr.length > 16) refuse(`chaddr of ${m.chaddr.length} bytes exceeds 16`);
  if (m.options.has(OPT.OVERLOAD)) refuse("option 52: the encoder never overloads sname and file");
  // What the decoder would drop must not be sent: a client would drop it too.
  const badType = messageTypeProblem(m.options);
  if (badType) refuse(badType);
  const options = writeOptions(m.options);
  const size = Math.max(MIN_REPLY, MIN_DHCP_DATAGRAM + options.length);
  if (size > maxSize) refuse(`message of ${size} bytes exceeds ${maxSize}`);
  const out = Buffer.alloc(size);
  out[0] = m.op;
  out[1] = m.htype;
  out[2] = m.hlen;
  out[3] = m.hops;
  out.writeUInt32BE(m.xid, 4);
  out.writeUInt16BE(m.secs, 8);
  out.writeUInt16BE(m.flags, 10);
  ipBytes(m.ciaddr).copy(out, 12);
  ipBytes(m.yiaddr).copy(out, 16);
  ipBytes(m.siaddr).copy(out, 20);
  ipBytes(m.giaddr).copy(out, 24);
  m.chaddr.copy(out, 28);
  fieldBytes("sname", m.sname, 64).copy(out, 44);
  fieldBytes("file", m.file, 128).copy(out, 108);
  out.writeUInt32BE(MAGIC_COOKIE, HEADER);
  options.copy(out, MIN_DHCP_DATAGRAM);
  return out;
}

function fieldBytes(name: string, text: string, size: number): Buffer {
  const bytes = Buffer.from(text, "latin1");
  // A NUL would end the name early and a character past latin1 would be changed on the wire: refuse both.
  if (bytes.toString("latin1") !== text || bytes.includes(0))
    refuse(`${name} has a NUL or a character that is not one byte`);
  if (bytes.length > size) refuse(`${name} of ${bytes.length} bytes exceeds the ${size}-byte field`);
  return bytes;
}

function refuse(problem: string): never {
  throw new EnforcerError("ENF_ERR_DHCP_ENCODE", `DHCP reply not encoded: ${problem}`, { problem });
}

/** Whether the client asked for broadcast replies (RFC 2131 §4.1). */
export function wantsBroadcast(m: DhcpMessage): boolean {
  return (m.flags & FLAG_BROADCAST) !== 0;
}
