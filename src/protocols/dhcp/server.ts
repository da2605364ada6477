import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { EnforcerError, isEnforcerError } from "../../domain/errors.js";
import { onDatagram, sendSafe, type UdpFaultSink, type UdpPeer } from "../udp/safe-socket.js";
import { DhcpCounters, type DhcpDropKind } from "./counters.js";
import { readFields, type DhcpFields } from "./fields.js";
import {
  BOOTREPLY,
  decodeDhcp,
  encodeDhcp,
  MAX_DHCP_DATAGRAM,
  wantsBroadcast,
  type DhcpMessage,
  type MalformedKind,
} from "./packet.js";

/** A decoded request as the handler sees it: the message and what its options say. */
export interface DhcpRequest {
  message: DhcpMessage;
  fields: DhcpFields;
}

/** Where a request came from and which of the server's ports it reached (67, or 4011 for PXE boot servers). */
export interface DhcpRequestMeta {
  from: UdpPeer;
  localPort: number;
}

/** What the handler answers: the reply and where it goes. */
export interface DhcpAnswer {
  reply: DhcpMessage;
  to: UdpPeer;
  /** Must be true to send to a broadcast address: a reply to a client that has no address yet. */
  broadcast?: boolean;
}

/** Decides the answer to one request, or none. Knows the policy; the server knows none. */
export type DhcpHandler = (
  request: DhcpRequest,
  meta: DhcpRequestMeta,
) => DhcpAnswer | undefined | Promise<DhcpAnswer | undefined>;

/** Options of the DHCP server. */
export interface DhcpServerOptions {
  /** Address to bind (`0.0.0.0` to hear broadcasts). */
  address: string;
  /** Ports to listen on: 67 and 4011 in production; 0 picks a free one (tests). */
  ports: readonly number[];
  handler: DhcpHandler;
  /** Where the totals go; a new one when not given. */
  counters?: DhcpCounters;
  /** Called for each dropped datagram, for a (budgeted) log line. */
  onDrop?: (kind: DhcpDropKind, from: UdpPeer, problem: string) => void;
  /** Called for replies not sent and contained handler failures. */
  onFault?: UdpFaultSink;
  /** Requests waiting for an asynchronous handler at once; past it datagrams are dropped as `busy`. */
  maxPending?: number;
}

/** A running DHCP server. */
export interface DhcpServer {
  /** The bound ports, in the order asked. */
  ports: number[];
  counters: DhcpCounters;
  close(): Promise<void>;
}

const DHCP_SERVER_PORT = 67;
const DHCP_CLIENT_PORT = 68;
/** Replies fit the 576-byte datagram every client must accept unless it asked for more (option 57). */
const DEFAULT_MAX_REPLY = 576;

/**
 * Where RFC 2131 §4.1 sends a reply to `request`: to the relay (giaddr:67); from the PXE boot-server port
 * back to the request's source; to ciaddr:68 for a client that has an address; else broadcast to
 * 255.255.255.255:68 (Node cannot unicast to an address the kernel has no ARP entry for).
 */
export function replyDestination(request: DhcpMessage, meta: DhcpRequestMeta): Omit<DhcpAnswer, "reply"> {
  if (request.giaddr !== "0.0.0.0") return { to: { address: request.giaddr, port: DHCP_SERVER_PORT } };
  if (meta.localPort !== DHCP_SERVER_PORT && meta.from.address !== "0.0.0.0") return { to: meta.from };
  if (request.ciaddr !== "0.0.0.0" && !wantsBroadcast(request))
    return { to: { address: request.ciaddr, port: DHCP_CLIENT_PORT } };
  return { to: { address: "255.255.255.255", port: DHCP_CLIENT_PORT }, broadcast: true };
}

/** Starts a DHCP server (RFC 2131) on `node:dgram` that answers whatever its handler returns. */
export async function startDhcpServer(opts: DhcpServerOptions): Promise<DhcpServer> {
  const counters = opts.counters ?? new DhcpCounters();
  const maxPending = opts.maxPending ?? 256;
  let pending = 0;
  const onFault: UdpFaultSink = (f) => {
    counters.recordFault(f.kind);
    opts.onFault?.(f);
  };
  const drop = (kind: DhcpDropKind, from: UdpPeer, problem: string) => {
    counters.recordDrop(kind);
    try {
      opts.onDrop?.(kind, from, problem);
    } catch {
      // Logging is best effort; the socket callback must return normally.
    }
  };

  async function serve(sock: Socket, localPort: number, msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    const from = { address: rinfo.address, port: rinfo.port };
    counters.received++;
    // Clients send from 0.0.0.0 (no address yet), so the source address is no reason to drop; port 0 is.
    if (rinfo.port === 0) return drop("source-port", from, "source port 0 cannot be answered");
    let message: DhcpMessage;
    try {
      message = decodeDhcp(msg);
    } catch (err) {
      if (!isEnforcerError(err, "ENF_ERR_DHCP_MALFORMED")) throw err;
      return drop((err.details.kind as MalformedKind | undefined) ?? "malformed", from, err.message);
    }
    if (message.op === BOOTREPLY) return drop("bootreply", from, "a BOOTREPLY sent to the server");
    if (pending >= maxPending) return drop("busy", from, `${pending} requests already wait for an answer`);
    const fields = readFields(message);
    pending++;
    let answer: DhcpAnswer | undefined;
    try {
      answer = await opts.handler({ message, fields }, { from, localPort });
    } finally {
      pending--;
    }
    if (!answer) {
      counters.ignored++;
      return;
    }
    // The client's option 57 may raise the limit from 576, never past one Ethernet frame (nor below 576).
    const mms = Math.min(fields.maxMessageSize ?? DEFAULT_MAX_REPLY, MAX_DHCP_DATAGRAM);
    const bytes = encodeDhcp(answer.reply, { maxSize: Math.max(mms, DEFAULT_MAX_REPLY) });
    if (sendSafe(sock, bytes, answer.to, onFault, { family: "udp4", broadcast: answer.broadcast === true }))
      counters.replied++;
  }

  const sockets: Socket[] = [];
  try {
    for (const port of opts.ports) {
      const sock = createSocket({ type: "udp4", reuseAddr: false });
      sockets.push(sock);
      await new Promise<void>((res, rej) => {
        sock.once("error", (err) =>
          rej(
            new EnforcerError("ENF_ERR_DHCP_BIND", `DHCP port ${port} on ${opts.address}: ${err.message}`, {
              port,
            }),
          ),
        );
        sock.bind(port, opts.address, () => {
          sock.removeAllListeners("error");
          res();
        });
      });
      // Replies to clients without an address go to 255.255.255.255, which needs SO_BROADCAST.
      sock.setBroadcast(true);
      sock.on("error", (err) =>
        onFault({
          kind: "send-failed",
          peer: { address: opts.address, port },
          message: `socket error: ${err.message}`,
        }),
      );
      const localPort = sock.address().port;
      // A handler that throws, an encode that refuses its reply: counted as handler-threw, never a crash.
      onDatagram(sock, (msg, rinfo) => serve(sock, localPort, msg, rinfo), onFault, {
        family: "udp4",
        dropUnreachableSources: false,
      });
    }
  } catch (err) {
    for (const s of sockets) closeQuietly(s);
    throw err;
  }
  return {
    ports: sockets.map((s) => s.address().port),
    counters,
    close: async () => {
      await Promise.all(sockets.map((s) => new Promise<void>((res) => closeQuietly(s, res))));
    },
  };
}

function closeQuietly(s: Socket, done?: () => void): void {
  try {
    s.close(() => done?.());
  } catch {
    done?.();
  }
}
