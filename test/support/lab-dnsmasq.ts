import { join } from "node:path";
import type { L2Lab, LabProcess } from "./l2-lab.js";
import { until } from "./until.js";

// dnsmasq as the lab's peers: the site's DHCP server (addresses only) and, for comparison with Enforcer,
// dnsmasq's own proxyDHCP. Both run in the foreground, log every DHCP exchange to stderr (kept by the
// LabProcess), read no /etc config and serve no DNS.
const COMMON = ["--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=eth0", "--bind-interfaces"];
/** The site's IPv6 address when it acts as an IPv6 router. */
const SITE_IPV6 = "fd77::1/64";
const LOGGING = ["--log-dhcp", "--log-facility=-", "--pid-file="];

/** Starts dnsmasq with `args` in `ns` and waits until its DHCP sockets are bound. */
async function startDnsmasq(lab: L2Lab, ns: string, name: string, args: string[]): Promise<LabProcess> {
  const p = lab.spawnIn(ns, name, "dnsmasq", [...COMMON, ...LOGGING, ...args]);
  await until(
    `${name} to bind its DHCP sockets`,
    async () => {
      if (p.child.exitCode !== null) throw new Error(`${name} exited ${p.child.exitCode}:\n${p.output()}`);
      return p.output().includes("sockets bound exclusively") ? true : undefined;
    },
    10_000,
    50,
  );
  return p;
}

/**
 * The site's DHCP server in the "site" namespace: a pool of .100-.199, a router, and nothing about
 * booting (no boot file, no next-server option, no PXE options), like a home router or a campus server.
 */
export function startSiteDhcp(lab: L2Lab, o: { ipv6Router?: boolean } = {}): Promise<LabProcess> {
  const args = [
    `--dhcp-range=${lab.net}.100,${lab.net}.199,1h`,
    `--dhcp-option=option:router,${lab.siteAddress}`,
    `--dhcp-leasefile=${join(lab.dir, "site.leases")}`,
  ];
  if (o.ipv6Router) {
    // Router advertisements for a ULA prefix (SLAAC only): iPXE's `ifconf` waits for IPv6 too.
    lab.addSiteIpv6(SITE_IPV6);
    args.push("--enable-ra", "--dhcp-range=::,constructor:eth0,ra-only");
  }
  return startDnsmasq(lab, lab.ns.site, "site-dnsmasq", args);
}

/** Options for dnsmasq's own proxy mode in the enforcer namespace. */
export interface DnsmasqProxyOptions {
  /** What iPXE itself is told (option 175 tells it apart); without it, iPXE gets the loader again: a loop. */
  ipxeBootUrl?: string;
}

/**
 * dnsmasq's proxyDHCP (scenario 8 of the issue) in the enforcer namespace, pointing the firmware at the TFTP
 * server on the enforcer address: UEFI x64 gets `snponly.efi`, BIOS `undionly.kpxe` (the PXE boot menu's
 * CSA types). `pxe-service` appends ".0" to a name without a dot; these names have one. No address is
 * ever handed out.
 */
export function startDnsmasqProxy(lab: L2Lab, o: DnsmasqProxyOptions = {}): Promise<LabProcess> {
  const tftp = lab.enforcerAddress;
  const notIpxe = o.ipxeBootUrl ? "tag:!ipxe," : "";
  const args = [
    `--dhcp-range=${lab.net}.0,proxy`,
    `--pxe-service=${notIpxe}x86-64_EFI,Enforcer,snponly.efi,${tftp}`,
    `--pxe-service=${notIpxe}x86PC,Enforcer,undionly.kpxe,${tftp}`,
  ];
  // With a server address, the offer carries siaddr and the file, and iPXE takes it as it is (test-peers
  // protocols.md §3.11). Without one, iPXE asks again on port 4011 and dnsmasq's answer never reaches it:
  // the BIOS iPXE ROM then says "Nothing to boot" after ~18 s of DHCP.
  if (o.ipxeBootUrl)
    args.push("--dhcp-match=set:ipxe,175", `--dhcp-boot=tag:ipxe,${o.ipxeBootUrl},enforcer,${tftp}`);
  return startDnsmasq(lab, lab.ns.enforcer, "proxy-dnsmasq", args);
}
