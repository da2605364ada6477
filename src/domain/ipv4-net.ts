/** IPv4 networks as the DHCP boot network needs them: parse `a.b.c.d/n`, ask whether an address is inside. */

/** An IPv4 network: its address (host bits cleared) and prefix length. */
export interface Ipv4Net {
  network: string;
  prefix: number;
}

/** The 32-bit value of a dotted quad, or undefined when it is not one. */
export function ipv4Value(address: string): number | undefined {
  const parts = address.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p))) return undefined;
  const bytes = parts.map(Number);
  if (bytes.some((b) => b > 255)) return undefined;
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

/** The dotted quad of a 32-bit value. */
export function ipv4Text(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
}

/** The netmask of a prefix length as a 32-bit value (24 → 255.255.255.0). */
export function ipv4Mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** `a.b.c.d/n` (host bits allowed, as `ip addr` prints them) to the network, or undefined. */
export function parseIpv4Cidr(cidr: string): Ipv4Net | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const v = ipv4Value(m[1]!);
  const prefix = Number(m[2]);
  if (v === undefined || prefix > 32) return undefined;
  return { network: ipv4Text((v & ipv4Mask(prefix)) >>> 0), prefix };
}

/** Whether `address` (a dotted quad) is inside `net`; false for anything that is not an address. */
export function inIpv4Net(net: Ipv4Net, address: string): boolean {
  const v = ipv4Value(address);
  const n = ipv4Value(net.network);
  if (v === undefined || n === undefined) return false;
  return (v & ipv4Mask(net.prefix)) >>> 0 === n;
}

/** `network/prefix`, for messages. */
export function ipv4NetText(net: Ipv4Net): string {
  return `${net.network}/${net.prefix}`;
}
