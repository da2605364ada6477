import type { UdpFaultKind } from "../udp/safe-socket.js";

/** Why a datagram never reached the handler; each kind is counted on its own. */
export type DhcpDropKind =
  /** Shorter than header and cookie (240 bytes). */
  | "too-short"
  /** Longer than one Ethernet frame's payload (1472 bytes). */
  | "too-large"
  /** No DHCP magic cookie: plain BOOTP or not DHCP at all. */
  | "bad-magic"
  /** An option runs past its field, a bad op, hlen, option 52 or 53. */
  | "malformed"
  /** A BOOTREPLY sent to the server: only servers send those, so it is a forgery or a loop. */
  | "bootreply"
  /** From source port 0, which no reply can reach. */
  | "source-port"
  /** Too many requests already waiting for the handler. */
  | "busy";

/** Running totals of the DHCP server, for metrics and for the hostile-traffic tests. */
export class DhcpCounters {
  received = 0;
  /** Replies handed to the kernel. */
  replied = 0;
  /** Requests the handler chose not to answer (not ours, not PXE, …). */
  ignored = 0;
  readonly dropped = new Map<DhcpDropKind, number>();
  /** Replies refused or failed, and contained handler failures, by kind. */
  readonly faults = new Map<UdpFaultKind, number>();

  /** Counts one dropped datagram. */
  recordDrop(kind: DhcpDropKind): void {
    this.dropped.set(kind, (this.dropped.get(kind) ?? 0) + 1);
  }

  /** Counts one UDP fault. */
  recordFault(kind: UdpFaultKind): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  /** All drops together. */
  droppedTotal(): number {
    let n = 0;
    for (const v of this.dropped.values()) n += v;
    return n;
  }
}
