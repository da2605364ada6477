import { MSG } from "./fields.js";
import { OPT } from "./options.js";
import { BOOTREPLY, type DhcpMessage } from "./packet.js";

/**
 * The frame of a reply to `request` as RFC 2131 table 3 fixes it: op BOOTREPLY, the request's htype, hlen,
 * xid, flags, giaddr and chaddr, hops and secs 0, ciaddr copied only into an ACK, everything else empty, and
 * option 53 `type`. What goes in yiaddr, siaddr, file and the other options is the handler's policy.
 */
export function replyFrame(request: DhcpMessage, type: number): DhcpMessage {
  return {
    op: BOOTREPLY,
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    flags: request.flags,
    ciaddr: type === MSG.ACK ? request.ciaddr : "0.0.0.0",
    yiaddr: "0.0.0.0",
    siaddr: "0.0.0.0",
    giaddr: request.giaddr,
    chaddr: Buffer.from(request.chaddr),
    sname: "",
    file: "",
    options: new Map([[OPT.MESSAGE_TYPE, Buffer.from([type])]]),
  };
}
