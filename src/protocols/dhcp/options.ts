import { EnforcerError } from "../../domain/errors.js";

/** DHCP option codes this codec knows by name (RFC 2132, 3004, 4578, 5071 and iPXE's 175). */
export const OPT = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  HOSTNAME: 12,
  VENDOR_SPECIFIC: 43,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_LIST: 55,
  MESSAGE: 56,
  MAX_MESSAGE_SIZE: 57,
  VENDOR_CLASS: 60,
  CLIENT_ID: 61,
  TFTP_SERVER: 66,
  BOOTFILE: 67,
  USER_CLASS: 77,
  CLIENT_ARCH: 93,
  CLIENT_NDI: 94,
  CLIENT_UUID: 97,
  IPXE: 175,
  END: 255,
} as const;

/** Options as decoded: one entry per code, in order of first appearance, instances concatenated (RFC 3396). */
export type DhcpOptions = Map<number, Buffer>;

/** Throws the codec's one error: what is wrong with the datagram, never anything else. */
export function malformed(problem: string): never {
  throw new EnforcerError("ENF_ERR_DHCP_MALFORMED", `malformed DHCP message: ${problem}`, {
    kind: "malformed",
    problem,
  });
}

/** Instances of each option as read, by code, before they are joined. */
export type OptionParts = Map<number, Buffer[]>;

/**
 * Reads the options of one field (the options area, or `file`/`sname` when option 52 says they hold options)
 * into `into`, after the instances already read: RFC 3396 says every instance of a code, in the order options,
 * file, sname, is one value (`joinOptions`). A field may end with END or just run out, as many ROMs pad with
 * zeros or stop short. An option whose length runs past the field is malformed.
 */
export function readOptions(field: Buffer, into: OptionParts, where: string): void {
  let i = 0;
  while (i < field.length) {
    const code = field[i]!;
    if (code === OPT.PAD) {
      i++;
      continue;
    }
    if (code === OPT.END) return;
    if (i + 1 >= field.length) malformed(`option ${code} in ${where} has no length byte`);
    const len = field[i + 1]!;
    const start = i + 2;
    if (start + len > field.length)
      malformed(`option ${code} in ${where} claims ${len} bytes, only ${field.length - start} remain`);
    const seen = into.get(code);
    const value = field.subarray(start, start + len);
    if (seen) seen.push(value);
    else into.set(code, [value]);
    i = start + len;
  }
}

/**
 * Joins each code's instances into one value, copied once: the decoded message never shares memory with the
 * datagram, and what it holds is at most the datagram's size (capped before decoding).
 */
export function joinOptions(parts: OptionParts): DhcpOptions {
  const out: DhcpOptions = new Map();
  for (const [code, values] of parts) out.set(code, Buffer.concat(values));
  return out;
}

/**
 * Writes options as `code len value`, splitting a value longer than 255 bytes into consecutive instances of
 * the same code (RFC 3396), then END. PAD and END in the map are not options and are refused.
 */
export function writeOptions(options: ReadonlyMap<number, Uint8Array>): Buffer {
  const parts: Buffer[] = [];
  for (const [code, value] of options) {
    if (!Number.isInteger(code) || code <= OPT.PAD || code >= OPT.END)
      throw new EnforcerError("ENF_ERR_DHCP_ENCODE", `option code ${code} cannot be sent`, { code });
    // A zero-length option is legal (e.g. rapid commit) and is one instance with length 0.
    let off = 0;
    do {
      const chunk = value.subarray(off, off + 255);
      parts.push(Buffer.from([code, chunk.length]), Buffer.from(chunk));
      off += 255;
    } while (off < value.length);
  }
  parts.push(Buffer.from([OPT.END]));
  return Buffer.concat(parts);
}

/**
 * Reads `code len value` sub-options (option 43 for PXE, 175 for iPXE) into a map, concatenating repeats.
 * Sub-options are vendor data, not framing: undefined when they do not parse, and the caller keeps the raw bytes.
 */
export function readSubOptions(value: Buffer): Map<number, Buffer> | undefined {
  const parts: OptionParts = new Map();
  let i = 0;
  while (i < value.length) {
    const code = value[i]!;
    if (code === OPT.PAD) {
      i++;
      continue;
    }
    if (code === OPT.END) break;
    if (i + 1 >= value.length) return undefined;
    const len = value[i + 1]!;
    if (i + 2 + len > value.length) return undefined;
    const seen = parts.get(code);
    const v = value.subarray(i + 2, i + 2 + len);
    if (seen) seen.push(v);
    else parts.set(code, [v]);
    i += 2 + len;
  }
  return joinOptions(parts);
}

/** Writes sub-options `code len value` and a closing END; a value over 255 bytes cannot be a sub-option. */
export function writeSubOptions(subs: ReadonlyMap<number, Uint8Array>): Buffer {
  const parts: Buffer[] = [];
  for (const [code, value] of subs) {
    if (!Number.isInteger(code) || code <= OPT.PAD || code >= OPT.END || value.length > 255)
      throw new EnforcerError(
        "ENF_ERR_DHCP_ENCODE",
        `sub-option ${code} of ${value.length} bytes cannot be encoded`,
        { code },
      );
    parts.push(Buffer.from([code, value.length]), Buffer.from(value));
  }
  parts.push(Buffer.from([OPT.END]));
  return Buffer.concat(parts);
}

/** An IPv4 address as 4 bytes; refuses anything that is not dotted decimal. */
export function ipBytes(address: string): Buffer {
  const parts = address.split(".");
  const bytes = parts.map(Number);
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p)) || bytes.some((b) => b > 255))
    throw new EnforcerError("ENF_ERR_DHCP_ENCODE", `"${address.slice(0, 40)}" is not an IPv4 address`);
  return Buffer.from(bytes);
}

/** 4 bytes at `off` as dotted decimal. */
export function ipText(buf: Buffer, off = 0): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}
