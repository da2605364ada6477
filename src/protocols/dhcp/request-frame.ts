import { BOOTREQUEST, FLAG_BROADCAST, type DhcpMessage } from "./packet.js";

/** What a client puts in its request; every other header field is empty or zero, as a client without a relay sends. */
export interface RequestFields {
  xid: number;
  /** The client's 6-byte Ethernet address; chaddr is it padded to 16 bytes. */
  mac: Buffer;
  options: DhcpMessage["options"];
  /** A client that has an address (RENEW, RELEASE, INFORM) names it, and then asks for unicast answers. */
  ciaddr?: string;
  secs?: number;
}

/**
 * A BOOTREQUEST over Ethernet (RFC 2131 table 5): the broadcast flag set unless the client names its own
 * address in ciaddr (it cannot receive unicast before it has one).
 */
export function requestFrame(f: RequestFields): DhcpMessage {
  return {
    op: BOOTREQUEST,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid: f.xid,
    secs: f.secs ?? 0,
    flags: f.ciaddr ? 0 : FLAG_BROADCAST,
    ciaddr: f.ciaddr ?? "0.0.0.0",
    yiaddr: "0.0.0.0",
    siaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    chaddr: Buffer.concat([f.mac, Buffer.alloc(10)]),
    sname: "",
    file: "",
    options: f.options,
  };
}
