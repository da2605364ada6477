import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { EnforcerError } from "../../domain/errors.js";
import { readFields } from "./fields.js";
import { MSG } from "./fields.js";
import { BOOTREPLY, decodeDhcp, encodeDhcp } from "./packet.js";
import { requestFrame } from "./request-frame.js";

/** How often the probe's DISCOVER is repeated while it listens. */
const RESEND_MS = 400;

/** A DHCP server that answered the probe: its id (option 54, else the datagram's source) and what it offered. */
export interface ProbeAnswer {
  server: string;
  offered: string;
}

/** Where the probe asks and listens, and for how long. */
export interface ProbeOptions {
  /** Servers' port (67) and clients' port (68) the answers come to. */
  serverPort: number;
  clientPort: number;
  waitMs: number;
}

/**
 * Broadcasts a DHCPDISCOVER (repeated every RESEND_MS; a random locally administered MAC, broadcast flag set so that the answer is
 * broadcast too) from the clients' port and collects the OFFERs with its xid for `waitMs`. It leaves by the
 * route for 255.255.255.255 (Node cannot bind a socket to an interface). The port is shared
 * (SO_REUSEADDR) with a DHCP client on this host; if it cannot be opened, ENF_ERR_DHCP_PROBE.
 */
export async function probeDhcpServers(opts: ProbeOptions): Promise<ProbeAnswer[]> {
  const xid = randomBytes(4).readUInt32BE();
  const mac = randomBytes(6);
  mac[0] = (mac[0]! & 0xfc) | 0x02;
  const discover = encodeDhcp(
    requestFrame({
      xid,
      mac,
      options: new Map([
        [53, Buffer.from([MSG.DISCOVER])],
        [55, Buffer.from([1, 3, 6, 54])],
        [60, Buffer.from("enforcer-probe", "latin1")],
      ]),
    }),
  );
  const sock = createSocket({ type: "udp4", reuseAddr: true });
  const answers: ProbeAnswer[] = [];
  sock.on("message", (msg, rinfo) => {
    try {
      const m = decodeDhcp(msg);
      if (m.op !== BOOTREPLY || m.xid !== xid) return;
      const f = readFields(m);
      if (f.messageType !== MSG.OFFER) return;
      answers.push({ server: f.serverId ?? rinfo.address, offered: m.yiaddr });
    } catch {
      // Not a DHCP answer to us: ignored.
    }
  });
  try {
    await new Promise<void>((res, rej) => {
      sock.once("error", rej);
      sock.bind(opts.clientPort, "0.0.0.0", () => {
        sock.removeListener("error", rej);
        res();
      });
    });
    sock.on("error", () => {});
    sock.setBroadcast(true);
    const send = () =>
      new Promise<void>((res, rej) =>
        sock.send(discover, opts.serverPort, "255.255.255.255", (err) => (err ? rej(err) : res())),
      );
    await send();
    // Sent again, as clients retransmit: dnsmasq pings a new address first and answers only a repeat.
    const again = setInterval(() => void send().catch(() => {}), RESEND_MS);
    await new Promise((res) => setTimeout(res, opts.waitMs));
    clearInterval(again);
  } catch (err) {
    throw new EnforcerError(
      "ENF_ERR_DHCP_PROBE",
      `--dhcp server: cannot probe for another DHCP server from port ${opts.clientPort}: ${(err as Error).message} (--dhcp-probe-wait 0 starts without the probe)`,
      { port: opts.clientPort },
    );
  } finally {
    sock.close();
  }
  return answers;
}
