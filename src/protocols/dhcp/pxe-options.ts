import { EnforcerError } from "../../domain/errors.js";
import { ipBytes, ipText, readSubOptions, writeSubOptions } from "./options.js";

/** PXE sub-options of option 43 (PXE spec 2.1, table 2-1). */
export const PXE = {
  DISCOVERY_CONTROL: 6,
  BOOT_SERVERS: 8,
  BOOT_MENU: 9,
  MENU_PROMPT: 10,
  BOOT_ITEM: 71,
} as const;

/** Option 43 for a PXE client, as fields; sub-options this codec does not know stay in `other`. */
export interface PxeVendorOptions {
  /** Bitmask: 1 no broadcast, 2 no multicast, 4 only listed servers, 8 use `file` directly (no discovery). */
  discoveryControl?: number;
  bootServers?: { type: number; addresses: string[] }[];
  bootMenu?: { type: number; description: string }[];
  /** Seconds the menu waits (0: take the first item now, 255: wait forever), and its prompt. */
  menuPrompt?: { timeout: number; text: string };
  /** The boot item a client chose (in a request to port 4011), echoed in the answer. */
  bootItem?: { type: number; layer: number };
  other?: Map<number, Buffer>;
}

/**
 * Encodes option 43 for a PXE client, sub-options in the order dnsmasq sends them (6, 8, 10, 9, 71: the
 * Raspberry Pi bootloader is known to accept that layout), then `other`, then END. Throws `ENF_ERR_DHCP_ENCODE`
 * when a part does not fit its byte.
 */
export function encodePxeOptions(o: PxeVendorOptions): Buffer {
  const subs = new Map<number, Buffer>();
  if (o.discoveryControl !== undefined)
    subs.set(PXE.DISCOVERY_CONTROL, Buffer.from([byte(o.discoveryControl)]));
  if (o.bootServers)
    subs.set(
      PXE.BOOT_SERVERS,
      Buffer.concat(
        o.bootServers.flatMap((s) => [
          u16(s.type),
          Buffer.from([byte(s.addresses.length)]),
          ...s.addresses.map(ipBytes),
        ]),
      ),
    );
  if (o.menuPrompt)
    subs.set(
      PXE.MENU_PROMPT,
      Buffer.concat([Buffer.from([byte(o.menuPrompt.timeout)]), text(o.menuPrompt.text)]),
    );
  if (o.bootMenu)
    subs.set(
      PXE.BOOT_MENU,
      Buffer.concat(
        o.bootMenu.flatMap((item) => {
          const d = text(item.description);
          return [u16(item.type), Buffer.from([byte(d.length)]), d];
        }),
      ),
    );
  if (o.bootItem) subs.set(PXE.BOOT_ITEM, Buffer.concat([u16(o.bootItem.type), u16(o.bootItem.layer)]));
  for (const [code, v] of o.other ?? []) if (!subs.has(code)) subs.set(code, v);
  return writeSubOptions(subs);
}

/** Decodes option 43 as PXE sub-options; undefined when it is not in that form (another vendor's data). */
export function decodePxeOptions(value: Buffer): PxeVendorOptions | undefined {
  const subs = readSubOptions(value);
  if (!subs) return undefined;
  const out: PxeVendorOptions = {};
  const other = new Map<number, Buffer>();
  for (const [code, v] of subs) {
    const known = decodeSub(out, code, v);
    if (!known) other.set(code, v);
  }
  if (other.size > 0) out.other = other;
  return out;
}

/** Fills the field for one known sub-option; false for an unknown one or a known one of the wrong shape. */
function decodeSub(out: PxeVendorOptions, code: number, v: Buffer): boolean {
  switch (code) {
    case PXE.DISCOVERY_CONTROL:
      if (v.length !== 1) return false;
      out.discoveryControl = v[0]!;
      return true;
    case PXE.BOOT_ITEM:
      if (v.length !== 4) return false;
      out.bootItem = { type: v.readUInt16BE(0), layer: v.readUInt16BE(2) };
      return true;
    case PXE.MENU_PROMPT:
      if (v.length < 1) return false;
      out.menuPrompt = { timeout: v[0]!, text: v.subarray(1).toString("latin1") };
      return true;
    case PXE.BOOT_MENU: {
      const items: { type: number; description: string }[] = [];
      for (let i = 0; i < v.length;) {
        if (i + 3 > v.length || i + 3 + v[i + 2]! > v.length) return false;
        items.push({
          type: v.readUInt16BE(i),
          description: v.subarray(i + 3, i + 3 + v[i + 2]!).toString("latin1"),
        });
        i += 3 + v[i + 2]!;
      }
      out.bootMenu = items;
      return true;
    }
    case PXE.BOOT_SERVERS: {
      const servers: { type: number; addresses: string[] }[] = [];
      for (let i = 0; i < v.length;) {
        if (i + 3 > v.length || i + 3 + 4 * v[i + 2]! > v.length) return false;
        const addresses: string[] = [];
        for (let k = 0; k < v[i + 2]!; k++) addresses.push(ipText(v, i + 3 + 4 * k));
        servers.push({ type: v.readUInt16BE(i), addresses });
        i += 3 + 4 * v[i + 2]!;
      }
      out.bootServers = servers;
      return true;
    }
    default:
      return false;
  }
}

/**
 * Option 77 (user class) as its class names: RFC 3004 form (each `len data`) when the bytes parse that way,
 * else the whole value as one name, which is how iPXE sends `iPXE` (a plain string, not RFC 3004).
 */
export function decodeUserClass(value: Buffer): string[] {
  const names: string[] = [];
  for (let i = 0; i < value.length;) {
    const len = value[i]!;
    if (len === 0 || i + 1 + len > value.length) return [value.toString("latin1")];
    names.push(value.subarray(i + 1, i + 1 + len).toString("latin1"));
    i += 1 + len;
  }
  return names;
}

/** Option 77 in RFC 3004 form. */
export function encodeUserClass(names: readonly string[]): Buffer {
  return Buffer.concat(
    names.flatMap((n) => {
      const b = text(n);
      if (b.length < 1) bad("an empty user class");
      return [Buffer.from([b.length]), b];
    }),
  );
}

function text(s: string): Buffer {
  const b = Buffer.from(s, "latin1");
  if (b.toString("latin1") !== s) bad(`"${s.slice(0, 40)}" has a character that is not one byte`);
  if (b.length > 255) bad(`a text of ${b.length} bytes exceeds 255`);
  return b;
}

function byte(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 255) bad(`${n} does not fit in one byte`);
  return n;
}

function u16(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) bad(`${n} does not fit in two bytes`);
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function bad(problem: string): never {
  throw new EnforcerError("ENF_ERR_DHCP_ENCODE", `PXE option not encoded: ${problem}`, { problem });
}
