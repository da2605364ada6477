import { EnforcerError } from "./errors.js";
import { inIpv4Net, ipv4NetText, ipv4Text, ipv4Value, type Ipv4Net } from "./ipv4-net.js";

/** The addresses `--dhcp server` hands out: first and last as 32-bit values, both inside the boot network. */
export interface DhcpRange {
  start: number;
  end: number;
}

/** The largest range accepted: a /16 (each DISCOVER may scan it; the lease count is bounded by it). */
export const MAX_RANGE_SIZE = 65_536;

/** The label that reserves an address for a machine (`enforcer.dev/ipv4=10.0.0.20`). */
export const RESERVATION_LABEL = "enforcer.dev/ipv4";

/** How many addresses a range holds. */
export function rangeSize(r: DhcpRange): number {
  return r.end - r.start + 1;
}

/** Whether a 32-bit address is inside the range. */
export function inRange(r: DhcpRange, v: number): boolean {
  return v >= r.start && v <= r.end;
}

/** `START-END` as given. */
export function rangeText(r: DhcpRange): string {
  return `${ipv4Text(r.start)}-${ipv4Text(r.end)}`;
}

/** Why `address` cannot be a host address on `net` (its network or broadcast address), or undefined. */
export function notAHost(net: Ipv4Net, address: string): string | undefined {
  const v = ipv4Value(address);
  const n = ipv4Value(net.network);
  if (v === undefined || n === undefined) return `${address} is not an IPv4 address`;
  if (!inIpv4Net(net, address)) return `${address} is outside the boot network ${ipv4NetText(net)}`;
  if (net.prefix >= 31) return undefined;
  const broadcast = (n | (0xffffffff >>> net.prefix)) >>> 0;
  if (v === n) return `${address} is the network address of ${ipv4NetText(net)}`;
  if (v === broadcast) return `${address} is the broadcast address of ${ipv4NetText(net)}`;
  return undefined;
}

/**
 * Parses `--dhcp-range START-END` against the boot network: both ends host addresses inside it, in order,
 * at most MAX_RANGE_SIZE addresses. Throws ENF_ERR_DHCP_RANGE saying what is wrong.
 */
export function parseDhcpRange(text: string, net: Ipv4Net): DhcpRange {
  const fail = (why: string): never => {
    throw new EnforcerError("ENF_ERR_DHCP_RANGE", `--dhcp-range ${text.slice(0, 40)}: ${why}`, {
      setting: "dhcpRange",
    });
  };
  const m = /^\s*([0-9.]+)\s*-\s*([0-9.]+)\s*$/.exec(text);
  if (!m) return fail("expected START-END, like 10.0.0.100-10.0.0.199");
  const [a, b] = [m[1]!, m[2]!];
  for (const x of [a, b]) {
    const bad = notAHost(net, x);
    if (bad) return fail(bad);
  }
  const start = ipv4Value(a)!;
  const end = ipv4Value(b)!;
  if (end < start) return fail(`${b} comes before ${a}`);
  if (end - start + 1 > MAX_RANGE_SIZE) return fail(`more than ${MAX_RANGE_SIZE} addresses`);
  return { start, end };
}
