// The exchange every scripted DHCP client of the namespace lab makes: send one request from port 68 and print
// what came back with its xid as one JSON line. Each client keeps its own packet and what it reports.
import { createSocket } from "node:dgram";
import { readFields, type DhcpFields } from "../../src/protocols/dhcp/fields.js";
import { decodeDhcp, encodeDhcp, type DhcpMessage } from "../../src/protocols/dhcp/packet.js";

/** What every scripted client reports of each reply (the JSON its tests parse). */
export interface ScriptedReply {
  from: string;
  /** Option 53; absent if the reply had none. */
  type?: number;
  yiaddr: string;
  siaddr: string;
  file: string;
  serverId?: string;
  bootfileName?: string;
}

/** What the PXE clients (firmware, iPXE, a Pi) report besides: the boot options and their 97 echoed. */
export interface PxeReply extends ScriptedReply {
  vendorClass?: string;
  tftpServer?: string;
  opt43?: string;
  opt97Echoed: boolean;
}

/** The PxeReply fields of a reply to a client whose option 97 was `guid`. */
export function pxeFields(m: DhcpMessage, f: DhcpFields, guid: Buffer): Omit<PxeReply, keyof ScriptedReply> {
  return {
    vendorClass: f.vendorClass,
    tftpServer: f.tftpServer,
    opt43: m.options.get(43)?.toString("hex"),
    opt97Echoed: m.options.get(97)?.equals(guid) ?? false,
  };
}

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
      const reply: ScriptedReply = {
        from: rinfo.address,
        type: f.messageType,
        yiaddr: m.yiaddr,
        siaddr: m.siaddr,
        file: m.file,
        serverId: f.serverId,
        bootfileName: f.bootfileName,
      };
      replies.push({ ...reply, ...x.describe(m, f) });
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
