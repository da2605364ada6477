import { tftpOffNotice } from "./dhcp-tftp-notice.js";
import type { Logger } from "pino";
import type { Settings } from "../config/settings.js";
import type { DhcpLeaseService } from "../core/dhcp-lease-service.js";
import type { Machine } from "../domain/machine.js";
import { tryParseMac, type Mac } from "../domain/mac.js";
import { ipv4NetText } from "../domain/ipv4-net.js";
import { LogBudget } from "../logging/log-budget.js";
import type { DhcpTotals } from "./dhcp-totals.js";
import { replyDestination, startDhcpServer, type DhcpServer } from "../protocols/dhcp/server.js";
import type { UdpFault } from "../protocols/udp/safe-socket.js";
import { bootNetwork } from "./boot-network.js";
import { bootChoice } from "./boot-choice.js";
import { proxyReply, proxyRequest } from "./dhcp-reply.js";
import { startDhcpServerMode } from "./dhcp-server-mode.js";
import { dhcpToTimeline, proxyOutcome } from "./timeline-feed.js";
import type { BootTimeline } from "../core/boot-timeline.js";
import { alwaysLeader, type Election } from "../store/election.js";
import { leadDhcp, SETTLE_MS, type DhcpLead } from "./dhcp-leadership.js";

/** Log lines per minute for answers and for faults; past it they are only counted. */
const ANSWER_LOGS_PER_MINUTE = 600;
const FAULT_LOGS_PER_MINUTE = 20;

/** What `startDhcp` needs from the rest of the daemon. */
export interface DhcpWiring {
  bootUrl: string;
  machine: (mac: Mac) => Machine | undefined;
  /** True when the machine would only boot its local disk (core's BootService.fallsThrough). */
  fallsThrough?: (machine: Machine) => boolean;
  /** Loader names present in the boot file namespace. */
  loaders: ReadonlySet<string>;
  /** `--dhcp server`'s leases (core's service). */
  leases?: DhcpLeaseService;
  /** The boot timeline: every exchange is reported to it (timeline-feed.ts: dhcpToTimeline). */
  timeline?: BootTimeline;
  /** A Raspberry Pi's request was answered: its option 97 names its boot directory (core's PiBootService). */
  piSeen?: (mac: Mac, guid: Uint8Array | undefined) => void;
  /** With a store other instances share: only the instance elected for the boot network answers. */
  election?: Election;
}

/** A running DHCP service, for the ready line and for stopping. */
export interface DhcpService {
  mode: "proxy" | "server";
  ports: number[];
  summary: string;
  /** The boot network's election; only the leader answers. */
  lead: DhcpLead;
  close(): Promise<void>;
}

/**
 * Glue between the policy-free DHCP server and the proxy service: binds 0.0.0.0 (a socket bound to one
 * address hears no broadcast) on 67 and 4011, hands each request to the proxy, sends its answer where RFC
 * 2131 says. Off unless `--dhcp proxy`; a port that cannot be bound stops the start (ENF_ERR_DHCP_BIND).
 */
export async function startDhcp(
  settings: Readonly<Settings>,
  wiring: DhcpWiring,
  log: Logger,
  totals: DhcpTotals,
): Promise<DhcpService | undefined> {
  const noTftp = tftpOffNotice(settings);
  if (noTftp) log.warn(noTftp);
  if (settings.dhcp === "server" && wiring.leases)
    return startDhcpServerMode(settings, wiring, wiring.leases, log, totals);
  if (settings.dhcp !== "proxy") return undefined;
  const net = bootNetwork(settings, wiring.bootUrl);
  const proxy = bootChoice(settings, wiring, net);
  for (const m of proxy.missingLoaders())
    log.warn(
      `dhcp: ${m.platform} clients get no proxy answer: no ${m.loader} in the boot files (put one in --tftp-root)`,
    );
  const dhcpPort = settings.dhcpPort ?? 67;
  const pxePort = settings.dhcpPxePort ?? 4011;
  const answerLogs = new LogBudget(ANSWER_LOGS_PER_MINUTE);
  const faultLogs = new LogBudget(FAULT_LOGS_PER_MINUTE);
  // With port 0 (tests) the kernel picks the port: which one is the PXE port is known once bound.
  let boundPxePort = pxePort;
  const lead = leadDhcp(wiring.election ?? alwaysLeader, net.network, log, totals);
  const server: DhcpServer = await startDhcpServer({
    address: "0.0.0.0",
    ports: [dhcpPort, pxePort],
    counters: totals.server,
    handler: (request, meta) => {
      // Another instance answers this network: stay silent (the socket stays bound for a quick take-over).
      if (!lead.leading()) {
        totals.followerDropped++;
        return undefined;
      }
      const asked = proxyRequest(request, meta, boundPxePort);
      const decision = proxy.decide(asked);
      if (wiring.timeline) dhcpToTimeline(wiring.timeline, request.fields, asked, proxyOutcome(decision));
      const mac = request.fields.mac;
      if ("skip" in decision) {
        totals.skipped.set(decision.skip, (totals.skipped.get(decision.skip) ?? 0) + 1);
        log.debug({ mac, reason: decision.skip }, `dhcp: no answer: ${decision.detail}`);
        return undefined;
      }
      const a = decision.answer;
      const piMac = a.clientClass === "raspberry-pi" ? tryParseMac(mac ?? "") : undefined;
      if (piMac) wiring.piSeen?.(piMac, request.fields.clientGuidRaw);
      totals.answers.set(a.clientClass, (totals.answers.get(a.clientClass) ?? 0) + 1);
      const budget = answerLogs.take();
      if (budget.ok)
        log.info(
          {
            dhcp: {
              mac,
              class: a.clientClass,
              reply: a.reply,
              bootFile: a.bootFile,
              vendorClass: request.fields.vendorClass,
            },
            ...(budget.skipped > 0 ? { notLogged: budget.skipped } : {}),
          },
          `dhcp proxy ${a.reply} ${a.bootFile || "the Raspberry Pi menu"} to ${mac ?? "?"} (${a.clientClass})`,
        );
      return {
        reply: proxyReply(request.message, request.fields, a),
        ...replyDestination(request.message, meta),
      };
    },
    onDrop: (kind, from, problem) => log.debug({ peer: from, kind }, `dhcp: dropped: ${problem}`),
    onFault: (f: UdpFault) => {
      if (f.kind === "refused-destination") return log.debug({ peer: f.peer }, `dhcp: ${f.message}`);
      const budget = faultLogs.take();
      if (budget.ok)
        log[f.kind === "handler-threw" ? "error" : "warn"](
          { peer: f.peer, fault: f.kind, ...(budget.skipped > 0 ? { notLogged: budget.skipped } : {}) },
          `dhcp: ${f.message}`,
        );
    },
  }).catch(async (err: unknown) => {
    // A port that cannot be bound: give the lead up at once rather than hold it without answering.
    await lead.close();
    throw err;
  });
  boundPxePort = server.ports[1]!;
  if (wiring.election) await lead.settle(SETTLE_MS);
  const summary = `proxy on ${ipv4NetText(net.network)} as ${net.address}${settings.dhcpKnownOnly ? ", known machines only" : ""}`;
  log.info(
    { dhcp: { ports: server.ports, network: ipv4NetText(net.network), address: net.address } },
    `dhcp: ${summary}`,
  );
  return {
    mode: "proxy",
    ports: server.ports,
    summary,
    lead,
    close: async () => {
      await lead.close();
      await server.close();
    },
  };
}
