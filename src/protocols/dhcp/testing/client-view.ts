// A reply as a client reads it off the wire, for the tests of what the server lays out.
import { readFields, type DhcpFields } from "../fields.js";
import { decodeDhcp, encodeDhcp, type DhcpMessage } from "../packet.js";

/** `m` encoded for a client that accepts 576 bytes (RFC 2131's minimum), decoded again, and its fields read. */
export function clientView(m: DhcpMessage): { back: DhcpMessage; f: DhcpFields } {
  const back = decodeDhcp(encodeDhcp(m, { maxSize: 576 }));
  return { back, f: readFields(back) };
}
