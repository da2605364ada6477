import type { UdpFaultKind } from "../udp/safe-socket.js";
import type { TransferStats } from "./transfer-runner.js";

/** Running totals of TFTP transfers by outcome, and bytes sent, for metrics. */
export class TftpCounters {
  readonly transfers = new Map<TransferStats["outcome"], number>();
  bytes = 0;
  resent = 0;
  badPackets = 0;
  /** Datagrams dropped unread, replies not sent, failed sends and contained handler failures, by kind. */
  readonly faults = new Map<UdpFaultKind, number>();

  /** Counts one finished (or refused) transfer. */
  record(s: TransferStats): void {
    this.transfers.set(s.outcome, (this.transfers.get(s.outcome) ?? 0) + 1);
    this.bytes += s.bytes;
    this.resent += s.resent;
  }

  /** Counts one UDP fault. */
  recordFault(kind: UdpFaultKind): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }
}
