import { networkInterfaces } from "node:os";
import type { Settings } from "../config/settings.js";
import { EnforcerError } from "../domain/errors.js";
import { inIpv4Net, ipv4NetText, parseIpv4Cidr, type Ipv4Net } from "../domain/ipv4-net.js";

/** The network DHCP answers on and Enforcer's address on it (server id and next-server). */
export interface BootNetwork {
  network: Ipv4Net;
  address: string;
  /** The interface holding the address, when it is one of this host's. */
  interfaceName?: string;
}

interface LocalAddress {
  name: string;
  address: string;
  cidr: string;
}

function localIpv4(): LocalAddress[] {
  const out: LocalAddress[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces()))
    for (const a of addrs ?? [])
      if (a.family === "IPv4" && !a.internal && a.cidr) out.push({ name, address: a.address, cidr: a.cidr });
  return out;
}

/**
 * The boot network: `--dhcp-interface`'s IPv4 network, or `--dhcp-subnet`, or (neither) the network of the
 * public URL's address on this host. Enforcer's address on it is the public URL's host when that is inside
 * it (what machines already use for HTTP), else this host's address inside it.
 */
export function bootNetwork(settings: Readonly<Settings>, bootUrl: string): BootNetwork {
  const urlHost = new URL(bootUrl).hostname;
  const local = localIpv4();
  const fail = (msg: string): never => {
    throw new EnforcerError("ENF_ERR_DHCP_NETWORK", `--dhcp ${settings.dhcp}: ${msg}`, {});
  };
  let network: Ipv4Net;
  if (settings.dhcpInterface !== undefined) {
    const on = local.find((l) => l.name === settings.dhcpInterface);
    if (!on)
      return fail(
        `interface ${settings.dhcpInterface} has no IPv4 address that can answer DHCP (loopback never can)`,
      );
    network = parseIpv4Cidr(on.cidr)!;
  } else if (settings.dhcpSubnet !== undefined) {
    network = parseIpv4Cidr(settings.dhcpSubnet)!;
  } else {
    const on = local.find((l) => l.address === urlHost);
    if (!on)
      return fail(
        `the public URL's host ${urlHost} is not an IPv4 address of this host's network interfaces (loopback does not count); name the boot network with --dhcp-interface or --dhcp-subnet`,
      );
    network = parseIpv4Cidr(on.cidr)!;
  }
  if (inIpv4Net(network, urlHost)) {
    const on = local.find((l) => l.address === urlHost);
    return { network, address: urlHost, ...(on ? { interfaceName: on.name } : {}) };
  }
  const inside = local.find((l) => inIpv4Net(network, l.address));
  if (!inside) return fail(`this host has no address on the boot network ${ipv4NetText(network)}`);
  return { network, address: inside.address, interfaceName: inside.name };
}
