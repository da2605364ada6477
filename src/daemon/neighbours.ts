import { readFile } from "node:fs/promises";
import { tryParseMac, type Mac } from "../domain/mac.js";

/** The kernel's IPv4 neighbour (ARP) table: one line per entry, the MAC in the fourth column. */
const ARP_TABLE = "/proc/net/arp";
/** ATF_COM: the entry is complete (it has a MAC); incomplete ones show 00:00:00:00:00:00. */
const ATF_COM = 0x2;
/** A table read answers lookups for this long: a TFTP burst from one Pi reads it once. */
const FRESH_MS = 250;

/**
 * The MAC the host's ARP table has for an address: who sent a datagram on the local link (a Pi ARPs for
 * the TFTP server before its first read, so its entry is there). Undefined when there is none, when entries
 * disagree, or off Linux. A relayed client's entry is its router's: Pi boot directories need the Pi on a
 * link of this host.
 */
export function neighbourMacs(table = ARP_TABLE): (ip: string) => Promise<Mac | undefined> {
  let read: { at: number; text: Promise<string> } | undefined;
  const text = (fresh: boolean) => {
    if (!read || !fresh || performance.now() - read.at > FRESH_MS)
      read = { at: performance.now(), text: readFile(table, "latin1").catch(() => "") };
    return read.text;
  };
  return async (raw) => {
    // A dual-stack socket (`--listen ::`) names an IPv4 client `::ffff:a.b.c.d`; the table names it `a.b.c.d`.
    const ip = raw.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
    return (await lookup(await text(true), ip)) ?? lookup(await text(false), ip);
  };
}

function lookup(table: string, ip: string): Mac | undefined {
  let found: Mac | undefined;
  for (const line of table.split("\n").slice(1)) {
    const [addr, , flags, hw] = line.trim().split(/\s+/);
    if (addr !== ip || hw === undefined || (Number(flags) & ATF_COM) === 0) continue;
    const mac = tryParseMac(hw);
    if (mac === undefined) continue;
    if (found !== undefined && found !== mac) return undefined;
    found = mac;
  }
  return found;
}
