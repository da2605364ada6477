// The exchange every scripted DHCP client of the namespace lab makes: send one request from port 68 and print
// what came back with its xid as one JSON line. Each client keeps its own packet and what it reports.
import { createSocket } from "node:dgram";
import { readFields, type DhcpFields } from "../../src/protocols/dhcp/fields.js";
import { decodeDhcp, encodeDhcp, type DhcpMessage } from "../../src/protocols/dhcp/packet.js";

/** One scripted exchange: the request, where it goes, how long to listen and what to say about each reply. */
export interface Exchange {
  request: DhcpMessage;
  to: string;
  port: number;
  waitMs: number;
  /** What the client reports of a reply beyond the fields all of them report. */
  describe: (m: DhcpMessage, f: DhcpFields) => Record<string, unknown>;
  /** Printed before the replies in the JSON line (the client's kind, xid, MAC). */
  head?: Record<string, unknown>;
}

/**
 * Binds port 68 (shared, broadcast allowed), sends the request, collects the decodable replies with its xid
 * (an undecodable one is reported as such) for `waitMs`, prints `{...head, replies}`. Exits 1 if the send fails.
 */
export function exchange(x: Exchange): void {
  const replies: unknown[] = [];
  const sock = createSocket({ type: "udp4", reuseAddr: true });
  sock.on("message", (msg, rinfo) => {
    try {
      const m = decodeDhcp(msg);
      if (m.xid !== x.request.xid) return;
      const f = readFields(m);
      replies.push({
        from: rinfo.address,
        type: f.messageType,
        yiaddr: m.yiaddr,
        siaddr: m.siaddr,
        file: m.file,
        serverId: f.serverId,
        bootfileName: f.bootfileName,
        ...x.describe(m, f),
      });
    } catch (err) {
      replies.push({ undecodable: (err as Error).message });
    }
  });
  sock.bind(68, "0.0.0.0", () => {
    sock.setBroadcast(true);
    sock.send(encodeDhcp(x.request), x.port, x.to, (err) => {
      if (err) {
        process.stdout.write(`${JSON.stringify({ sendError: err.message })}\n`);
        process.exit(1);
      }
      setTimeout(() => {
        process.stdout.write(`${JSON.stringify({ ...x.head, replies })}\n`);
        sock.close();
      }, x.waitMs);
    });
  });
}
