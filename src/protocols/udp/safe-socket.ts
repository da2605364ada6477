import type { RemoteInfo, Socket } from "node:dgram";
import { isIPv4, isIPv6 } from "node:net";

/**
 * Sending and receiving on a UDP socket without ever throwing out of a socket callback. Every UDP server
 * (TFTP, DHCP) replies through `sendSafe` and handles datagrams through `onDatagram`: a datagram from an
 * address no reply can reach, a failed send or a bug in a handler is reported to a fault sink (counted and
 * logged by the daemon) and costs at most the one transfer it belongs to, never the process.
 */

/** Where a datagram came from or goes to. */
export interface UdpPeer {
  address: string;
  port: number;
}

/** What went wrong, by kind: each is counted separately. */
export type UdpFaultKind =
  /** A datagram from a source no reply can reach (port 0, unspecified, multicast): dropped unread. */
  | "dropped-source"
  /** A reply to an impossible destination, refused before the send. */
  | "refused-destination"
  /** The send itself failed, synchronously or later in the kernel. */
  | "send-failed"
  /** A message handler threw or rejected: a bug, contained. */
  | "handler-threw";

/** One fault, for the sink. */
export interface UdpFault {
  kind: UdpFaultKind;
  peer: UdpPeer;
  message: string;
}

/** Receives faults; must not throw (what it does with them is policy: the daemon counts and logs). */
export type UdpFaultSink = (fault: UdpFault) => void;

/** Options for `checkDestination`. */
export interface DestinationRules {
  /** The socket's family: an IPv6 address on a udp4 socket (or the reverse) cannot be reached. */
  family: "udp4" | "udp6";
  /** Allow broadcast and multicast destinations (a DHCP server's replies); never the case for a reply to a source. */
  broadcast?: boolean;
}

/** Why a datagram cannot be sent to `peer`, or undefined when it can. */
export function checkDestination(peer: UdpPeer, rules: DestinationRules): string | undefined {
  const { address, port } = peer;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port ${port} cannot be reached`;
  const v4 = isIPv4(address);
  const v6 = !v4 && isIPv6(address);
  if (rules.family === "udp4" ? !v4 : !v6) return `address ${printable(address)} is not usable here`;
  if (address === "0.0.0.0" || address === "::" || address === "::ffff:0.0.0.0")
    return `address ${address} is unspecified`;
  if (!rules.broadcast && isGroupAddress(address)) return `address ${address} is broadcast or multicast`;
  return undefined;
}

function isGroupAddress(address: string): boolean {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (isIPv4(v4)) {
    const first = Number(v4.split(".")[0]);
    return v4 === "255.255.255.255" || (first >= 224 && first <= 239);
  }
  return /^ff/i.test(address);
}

/**
 * Sends one datagram (or its parts) and never throws. An impossible destination is refused without a
 * send; a synchronous throw (closed socket, bad argument) and an asynchronous send error both go to
 * `onFault`. Answers whether the datagram was handed to the kernel.
 */
export function sendSafe(
  sock: Socket,
  data: Buffer | readonly Buffer[],
  peer: UdpPeer,
  onFault: UdpFaultSink,
  rules: DestinationRules,
  /** Called once the kernel took the datagram or the send failed; not when this answers false. */
  done?: () => void,
): boolean {
  const bad = checkDestination(peer, rules);
  if (bad) {
    report(onFault, { kind: "refused-destination", peer, message: `reply not sent: ${bad}` });
    return false;
  }
  return sendChecked(sock, data, peer, onFault, "callback", done);
}

/**
 * `sendSafe` for a destination already checked once (a transfer's peer never changes). With
 * `asyncErrors: "socket"` no callback is passed, so Node can send at once without a request object (the
 * per-block hot path); a later send error then arrives as the socket's `error` event, which the caller must
 * handle. A synchronous throw is always caught and reported here.
 */
export function sendChecked(
  sock: Socket,
  data: Buffer | readonly Buffer[],
  peer: UdpPeer,
  onFault: UdpFaultSink,
  asyncErrors: "callback" | "socket" = "callback",
  done?: () => void,
): boolean {
  try {
    if (asyncErrors === "socket") sock.send(data as Buffer[], peer.port, peer.address);
    else
      sock.send(data as Buffer[], peer.port, peer.address, (err) => {
        if (err) report(onFault, { kind: "send-failed", peer, message: `send failed: ${err.message}` });
        done?.();
      });
    return true;
  } catch (err) {
    report(onFault, { kind: "send-failed", peer, message: `send failed: ${(err as Error).message}` });
    return false;
  }
}

/**
 * Sends one datagram (or its parts) on a socket connected to its peer: no address lookup and no route
 * lookup per send (profiled: about 1-2 µs of 9-12 per datagram). Never throws: a synchronous throw is
 * reported here, a later send error arrives as the socket's `error` event, which the caller must handle.
 */
export function sendConnected(
  sock: Socket,
  data: Buffer | readonly Buffer[],
  peer: UdpPeer,
  onFault: UdpFaultSink,
): boolean {
  try {
    sock.send(data as Buffer[]);
    return true;
  } catch (err) {
    report(onFault, { kind: "send-failed", peer, message: `send failed: ${(err as Error).message}` });
    return false;
  }
}

/** Options for `onDatagram`. */
export interface DatagramRules {
  /** The socket's family, for the source check. */
  family: "udp4" | "udp6";
  /**
   * Drop datagrams from a source no reply can reach (TFTP: every request wants a reply at its source).
   * A DHCP server, whose clients send from 0.0.0.0, turns this off and checks its own reply address.
   */
  dropUnreachableSources: boolean;
}

/**
 * Registers `handler` for the socket's datagrams so that nothing escapes the socket callback: a throw or a
 * rejected promise is reported as `handler-threw` (with `onHandlerFault`, e.g. to end one transfer) and the
 * socket keeps working. Datagrams from an unreachable source are dropped before the handler when asked.
 */
export function onDatagram(
  sock: Socket,
  handler: (msg: Buffer, from: RemoteInfo) => void | Promise<void>,
  onFault: UdpFaultSink,
  rules: DatagramRules,
  onHandlerFault?: (err: unknown) => void,
): void {
  const failed = (from: RemoteInfo, err: unknown) => {
    report(onFault, {
      kind: "handler-threw",
      peer: { address: from.address, port: from.port },
      message: `datagram handler failed: ${err instanceof Error ? err.message : String(err)}`,
    });
    try {
      onHandlerFault?.(err);
    } catch {
      // The clean-up of a failed handler failing too leaves nothing better to do than to keep serving.
    }
  };
  sock.on("message", (msg, from) => {
    if (rules.dropUnreachableSources) {
      const bad = checkDestination(from, { family: rules.family });
      if (bad) {
        report(onFault, {
          kind: "dropped-source",
          peer: { address: from.address, port: from.port },
          message: `datagram dropped: ${bad}`,
        });
        return;
      }
    }
    try {
      const done = handler(msg, from);
      if (done && typeof done.then === "function") done.then(undefined, (err: unknown) => failed(from, err));
    } catch (err) {
      failed(from, err);
    }
  });
}

/** Calls the sink; a sink that throws must not turn a contained fault into a crash. */
function report(onFault: UdpFaultSink, fault: UdpFault): void {
  try {
    onFault(fault);
  } catch {
    // Counting and logging are best effort; the socket callback must return normally.
  }
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?").slice(0, 60);
}
