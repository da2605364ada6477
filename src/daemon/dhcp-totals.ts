import type { ProxyClientClass, ProxySkipReason } from "../core/dhcp-proxy.js";
import { DhcpCounters } from "../protocols/dhcp/counters.js";

// Apart from dhcp.ts so /metrics can hold the totals while the DHCP code itself loads only when DHCP is on.

/** DHCP totals for /metrics: the server's counters and the proxy's answers and skips. */
export class DhcpTotals {
  readonly server = new DhcpCounters();
  readonly answers = new Map<ProxyClientClass, number>();
  readonly skipped = new Map<ProxySkipReason, number>();
  /** `--dhcp server`: offers, acks, renewals, naks, declines, releases by kind. */
  readonly leaseEvents = new Map<string, number>();
  /** The boot network this instance campaigns for and whether it leads it (set while DHCP runs). */
  lead: { readonly network: string; leading(): boolean } | undefined;
  /** Requests heard and dropped unanswered because another instance leads the boot network. */
  followerDropped = 0;
}
