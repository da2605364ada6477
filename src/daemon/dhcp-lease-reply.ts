import type { ProxyAnswer } from "../core/dhcp-proxy.js";
import type { LeaseAnswer } from "../core/dhcp-lease-service.js";
import { ipv4Mask, ipv4Text, type Ipv4Net } from "../domain/ipv4-net.js";
import { MSG } from "../protocols/dhcp/fields.js";
import { ipBytes, OPT } from "../protocols/dhcp/options.js";
import type { DhcpMessage } from "../protocols/dhcp/packet.js";
import { encodePxeOptions } from "../protocols/dhcp/pxe-options.js";
import { replyFrame } from "../protocols/dhcp/reply-frame.js";
import { PI_MENU } from "./dhcp-reply.js";

/** Renewal (T1) and rebinding (T2) times, RFC 2132 §9.11, 9.12. */
const RENEWAL_TIME = 58;
const REBINDING_TIME = 59;
/** The longest name the `file` field holds (128 bytes with its NUL); longer ones go in option 67 only. */
const FILE_FIELD = 127;

/** What every lease answer carries besides the address: server id, network, router, DNS, and a boot file. */
export interface LeaseReplyParts {
  serverId: string;
  network: Ipv4Net;
  router?: string;
  dns: readonly string[];
  /** The boot file the proxy's choice gives this client (network-boot clients only). */
  boot?: ProxyAnswer;
}

/**
 * Lays a lease answer out (RFC 2131 table 3): OFFER and ACK with yiaddr, lease time, T1 = half and T2 = 7/8
 * of it; an ACK to an INFORM with no yiaddr and no lease time; a NAK with only the server id and a message.
 * A boot file goes in siaddr, `file`, 66 and 67; option 60 only for UEFI HTTP boot, which needs `HTTPClient`
 * (a PXE client takes a plain DHCP offer's boot file, as from dnsmasq's `dhcp-boot`). A Raspberry Pi gets
 * what the proxy gives it: `PXEClient`, the `Raspberry Pi Boot` menu in 43 and 66, no boot file.
 */
export function leaseReply(request: DhcpMessage, a: LeaseAnswer, p: LeaseReplyParts): DhcpMessage {
  const type = a.reply === "offer" ? MSG.OFFER : a.reply === "nak" ? MSG.NAK : MSG.ACK;
  const frame = replyFrame(request, type);
  const options = new Map(frame.options);
  options.set(OPT.SERVER_ID, ipBytes(p.serverId));
  if (a.reply === "nak") {
    options.set(OPT.MESSAGE, Buffer.from(a.message.slice(0, 200), "latin1"));
    return { ...frame, ciaddr: "0.0.0.0", options };
  }
  if (a.reply !== "inform-ack") {
    const t = a.leaseSeconds;
    options.set(OPT.LEASE_TIME, u32(t));
    options.set(RENEWAL_TIME, u32(Math.floor(t / 2)));
    options.set(REBINDING_TIME, u32(Math.floor((t * 7) / 8)));
  }
  options.set(OPT.SUBNET_MASK, ipBytes(ipv4Text(ipv4Mask(p.network.prefix))));
  if (p.router !== undefined) options.set(OPT.ROUTER, ipBytes(p.router));
  if (p.dns.length > 0) options.set(OPT.DNS, Buffer.concat(p.dns.map(ipBytes)));
  const b = p.boot;
  if (b) {
    if (b.vendorClass === "HTTPClient" || b.piMenu)
      options.set(OPT.VENDOR_CLASS, Buffer.from(b.vendorClass, "latin1"));
    if (b.piMenu) options.set(OPT.VENDOR_SPECIFIC, encodePxeOptions(PI_MENU));
    if (b.tftpServer !== undefined) options.set(OPT.TFTP_SERVER, Buffer.from(b.tftpServer, "latin1"));
    if (b.bootFile !== "") options.set(OPT.BOOTFILE, Buffer.from(b.bootFile, "latin1"));
  }
  return {
    ...frame,
    yiaddr: a.reply === "inform-ack" ? "0.0.0.0" : a.yiaddr,
    siaddr: b?.nextServer ?? "0.0.0.0",
    file: b && b.bootFile.length <= FILE_FIELD ? b.bootFile : "",
    options,
  };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(Math.max(0, Math.min(n, 0xffffffff)));
  return b;
}
