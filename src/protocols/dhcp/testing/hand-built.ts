/**
 * DHCP datagrams assembled byte by byte from the RFC 2131 §2 layout (not by the encoder under test), for the
 * codec's exact-byte tests and the server's tests.
 */

/** Hex (spaces allowed) to bytes. */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ""), "hex");
}

/** An ASCII string's bytes, for option values. */
export function ascii(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

/** The parts of a hand-built message; everything not given is zero. */
export interface HandParts {
  op?: number;
  flags?: number;
  xid?: number;
  ciaddr?: number[];
  yiaddr?: number[];
  siaddr?: number[];
  giaddr?: number[];
  mac?: number[];
  sname?: Buffer;
  file?: Buffer;
  /** The options area after the cookie, exactly as it goes on the wire (END included by the caller). */
  options: Buffer;
  cookie?: number;
}

/** Lays out op … file, the cookie and the options as RFC 2131 figure 1 draws them. */
export function handBuilt(p: HandParts): Buffer {
  const head = Buffer.alloc(236);
  head[0] = p.op ?? 1; // BOOTREQUEST
  head[1] = 1; // htype Ethernet
  head[2] = 6; // hlen
  head.writeUInt32BE(p.xid ?? 0x3903f326, 4);
  head.writeUInt16BE(p.flags ?? 0, 10);
  Buffer.from(p.ciaddr ?? [0, 0, 0, 0]).copy(head, 12);
  Buffer.from(p.yiaddr ?? [0, 0, 0, 0]).copy(head, 16);
  Buffer.from(p.siaddr ?? [0, 0, 0, 0]).copy(head, 20);
  Buffer.from(p.giaddr ?? [0, 0, 0, 0]).copy(head, 24);
  Buffer.from(p.mac ?? [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]).copy(head, 28);
  p.sname?.copy(head, 44);
  p.file?.copy(head, 108);
  const cookie = Buffer.alloc(4);
  cookie.writeUInt32BE(p.cookie ?? 0x63825363);
  return Buffer.concat([head, cookie, p.options]);
}

/** Option `code` with `value`, as `code len value`. */
export function opt(code: number, value: Buffer | string): Buffer {
  const v = typeof value === "string" ? ascii(value) : value;
  return Buffer.concat([Buffer.from([code, v.length]), v]);
}

/** The DISCOVER an EDK2 UEFI x64 PXE client sends (vendor class as seen on the lab), built by hand. */
export function uefiDiscover(extra: Buffer[] = [], parts: Partial<HandParts> = {}): Buffer {
  return handBuilt({
    flags: 0x8000,
    ...parts,
    options: Buffer.concat([
      opt(53, hex("01")),
      opt(57, hex("05c0")),
      opt(93, hex("0007")),
      opt(94, hex("010300")),
      opt(60, "PXEClient:Arch:00007:UNDI:003000"),
      opt(97, hex("00 78563412 3412 7856 9abc def012345678")),
      opt(55, hex("01 03 2b 3c 42 43")),
      ...extra,
      hex("ff"),
    ]),
  });
}
