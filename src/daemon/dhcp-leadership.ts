import type { Logger } from "pino";
import { ipv4NetText, type Ipv4Net } from "../domain/ipv4-net.js";
import type { Election } from "../store/election.js";
import type { DhcpTotals } from "./dhcp-totals.js";

/** How long a start waits for its campaign to win before it reports itself a follower (shared store only). */
export const SETTLE_MS = 1500;

/** The DHCP responder's lead of its boot network: only the leader answers (docs/dhcp.md, "Several instances"). */
export interface DhcpLead {
  /** The boot network, as `10.0.0.0/24`. */
  readonly network: string;
  /** Whether this instance answers now: one call per packet, a boolean from the election. */
  leading(): boolean;
  /**
   * Waits until this instance leads or `ms` pass (a campaign over a shared store takes a round trip or two
   * to win), so the ready line names the role the instance settles in; answers `leading()` then.
   */
  settle(ms: number): Promise<boolean>;
  /** Stops campaigning (a clean stop hands the network over at once instead of after the lease's TTL). */
  close(): Promise<void>;
}

/** The election's name for a boot network: `dhcp/10.0.0.0-24` (a key path: no slash inside the CIDR). */
export function dhcpElectionName(net: Ipv4Net): string {
  return `dhcp/${ipv4NetText(net).replace("/", "-")}`;
}

/**
 * Campaigns for the boot network and keeps the totals and the log told: `dhcp: leading <network>` or
 * `dhcp: following <network>` once at start and once per change. The sockets stay bound either way, so a
 * follower that wins takes over with its next packet.
 */
export function leadDhcp(election: Election, net: Ipv4Net, log: Logger, totals: DhcpTotals): DhcpLead {
  const network = ipv4NetText(net);
  const campaign = election.campaign(dhcpElectionName(net));
  let told = campaign.isLeader();
  const say = (leading: boolean) =>
    log.info({ dhcp: { network, leading } }, `dhcp: ${leading ? "leading" : "following"} ${network}`);
  say(told);
  const off = campaign.onChange((leading) => {
    if (leading === told) return;
    told = leading;
    say(leading);
  });
  const lead: DhcpLead = {
    network,
    leading: () => campaign.isLeader(),
    settle: (ms) =>
      new Promise<boolean>((resolve) => {
        if (campaign.isLeader()) return resolve(true);
        const done = () => {
          clearTimeout(timer);
          stop();
          resolve(campaign.isLeader());
        };
        const timer = setTimeout(done, ms);
        const stop = campaign.onChange((l) => l && done());
      }),
    close: async () => {
      off();
      totals.lead = undefined;
      await campaign.resign();
    },
  };
  totals.lead = lead;
  return lead;
}
