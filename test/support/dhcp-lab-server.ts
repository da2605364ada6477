// A tiny DHCP server for the namespace lab: Enforcer's codec and server with a fixed test policy (one address,
// a boot file, PXE option 43), run inside the server namespace by `ip netns exec` (a process cannot move
// itself). It prints `ready`, then one JSON line per request: what the codec read from it, where the reply went.
// Usage: node dhcp-lab-server.js SERVER_IP OFFER_IP
import { MSG } from "../../src/protocols/dhcp/fields.js";
import { ipBytes } from "../../src/protocols/dhcp/options.js";
import { encodePxeOptions } from "../../src/protocols/dhcp/pxe-options.js";
import { replyFrame } from "../../src/protocols/dhcp/reply-frame.js";
import { replyDestination, startDhcpServer } from "../../src/protocols/dhcp/server.js";

const [serverIp, offerIp] = process.argv.slice(2) as [string, string];
const server = await startDhcpServer({
  address: "0.0.0.0",
  ports: [67],
  handler: ({ message, fields }, meta) => {
    const type =
      fields.messageType === MSG.DISCOVER ? MSG.OFFER : fields.messageType === MSG.REQUEST ? MSG.ACK : 0;
    const dest = replyDestination(message, meta);
    // What the codec read from the real client's datagram, for the test to check.
    const seen = {
      type: fields.messageType,
      from: meta.from,
      to: dest.to,
      xid: message.xid,
      flags: message.flags,
      mac: fields.mac,
      vendorClass: fields.vendorClass,
      clientArch: fields.clientArch,
      hostname: fields.hostname,
      requestedIp: fields.requestedIp,
      serverId: fields.serverId,
      parameterList: fields.parameterList,
      codes: [...message.options.keys()],
    };
    process.stdout.write(`${JSON.stringify(seen)}\n`);
    if (!type) return undefined;
    // The frame RFC 2131 fixes (xid, chaddr, flags, giaddr, option 53), then this lab's policy.
    const frame = replyFrame(message, type);
    const reply = {
      ...frame,
      yiaddr: offerIp,
      siaddr: serverIp,
      sname: "enforcer-lab",
      file: "undionly.kpxe",
      options: new Map<number, Buffer>([
        ...frame.options,
        [54, ipBytes(serverIp)],
        [51, Buffer.from([0, 0, 0x0e, 0x10])],
        [1, ipBytes("255.255.255.0")],
        [3, ipBytes(serverIp)],
        [60, Buffer.from("PXEClient")],
        [66, Buffer.from(serverIp)],
        [67, Buffer.from("undionly.kpxe")],
        [43, encodePxeOptions({ discoveryControl: 8 })],
        // Longer than 255 bytes: goes out as two instances (RFC 3396), which the client must join.
        [114, Buffer.from(`http://${serverIp}/${"p".repeat(240)}`)],
      ]),
    };
    return { reply, ...dest };
  },
  onDrop: (kind, from, problem) => process.stdout.write(`${JSON.stringify({ drop: kind, from, problem })}\n`),
  onFault: (f) => process.stdout.write(`${JSON.stringify({ fault: f.kind, message: f.message })}\n`),
});
process.stdout.write("ready\n");
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
