import type { Logger } from "pino";
import type { Settings } from "../config/settings.js";
import type { DhcpLeaseService, LeaseRequest } from "../core/dhcp-lease-service.js";
import type { ProxyAnswer } from "../core/dhcp-proxy.js";
import { classifyDhcpClient } from "../domain/dhcp-client.js";
import { notAHost, parseDhcpRange, rangeText } from "../domain/dhcp-range.js";
import { EnforcerError } from "../domain/errors.js";
import { inIpv4Net, ipv4NetText } from "../domain/ipv4-net.js";
import { tryParseMac } from "../domain/mac.js";
import { LogBudget } from "../logging/log-budget.js";
import type { DhcpFields } from "../protocols/dhcp/fields.js";
import { probeDhcpServers } from "../protocols/dhcp/probe.js";
import { replyDestination, startDhcpServer } from "../protocols/dhcp/server.js";
import type { DhcpMessage } from "../protocols/dhcp/packet.js";
import type { UdpFault } from "../protocols/udp/safe-socket.js";
import { bootNetwork } from "./boot-network.js";
import { bootChoice } from "./boot-choice.js";
import { leaseReply } from "./dhcp-lease-reply.js";
import { dhcpToTimeline, leaseOutcome } from "./timeline-feed.js";
import type { DhcpService, DhcpWiring } from "./dhcp.js";
import type { DhcpTotals } from "./dhcp-totals.js";
import { alwaysLeader } from "../store/election.js";
import { leadDhcp, SETTLE_MS } from "./dhcp-leadership.js";

/** How long an OFFER holds its address (memory only): a DISCOVER flood holds the range for at most this. */
const OFFER_HOLD_MS = 30_000;
/** How long a DECLINEd address is not offered. */
const DECLINE_HOLD_MS = 10 * 60_000;
const LOGS_PER_MINUTE = 600;

/**
 * `--dhcp server`: checks the range, router and DNS against the boot network, probes for another DHCP
 * server (refusing to start if one answers), then answers on port 67 with leases from core's lease service
 * and the boot file the proxy's choice gives each network-boot client.
 */
export async function startDhcpServerMode(
  settings: Readonly<Settings>,
  wiring: DhcpWiring,
  leases: DhcpLeaseService,
  log: Logger,
  totals: DhcpTotals,
): Promise<DhcpService> {
  const net = bootNetwork(settings, wiring.bootUrl);
  const range = parseDhcpRange(settings.dhcpRange ?? "", net.network);
  const router = settings.dhcpRouter;
  const bad = router === undefined ? undefined : notAHost(net.network, router);
  if (bad)
    throw new EnforcerError("ENF_ERR_SETTINGS_INVALID", `--dhcp-router: ${bad}`, { setting: "dhcpRouter" });
  const dns = settings.dhcpDns?.split(",") ?? [];
  const dhcpPort = settings.dhcpPort ?? 67;
  // With several instances the probe would hear the leading one and refuse: only a sole instance probes.
  if (settings.dhcpProbeWait > 0 && !wiring.election) {
    const others = await probeDhcpServers({
      serverPort: dhcpPort,
      clientPort: dhcpPort === 67 ? 68 : dhcpPort + 1,
      waitMs: settings.dhcpProbeWait * 1000,
    });
    const o = others[0];
    if (o)
      throw new EnforcerError(
        "ENF_ERR_DHCP_OTHER_SERVER",
        `--dhcp server: another DHCP server answers on ${ipv4NetText(net.network)}: ${o.server} offered ${o.offered}; not starting beside it (use --dhcp proxy there)`,
        { server: o.server },
      );
  }
  for (const p of leases.configure({
    network: net.network,
    range,
    serverAddress: net.address,
    leaseMs: settings.dhcpLeaseTime * 1000,
    offerMs: OFFER_HOLD_MS,
    declineMs: DECLINE_HOLD_MS,
  }))
    log.warn(`dhcp: reservation ignored: ${p}`);
  // The boot file is the proxy's choice, so both modes give each client class the same one.
  const boot = bootChoice(settings, wiring, net);
  for (const m of boot.missingLoaders())
    log.warn(`dhcp: ${m.platform} clients get an address but no boot file: no ${m.loader} in the boot files`);
  const bootFor = (f: DhcpFields, xid: number): ProxyAnswer | undefined => {
    const cls = classifyDhcpClient(f);
    if (cls.kind === "not-pxe") return undefined;
    const mac = f.mac === undefined ? undefined : tryParseMac(f.mac);
    const machine = mac === undefined ? undefined : wiring.machine(mac);
    if (settings.dhcpKnownOnly && !machine) return undefined;
    const d = boot.bootAnswer(cls, { mac, xid, machine }, "offer");
    return "answer" in d ? d.answer : undefined;
  };
  const logs = new LogBudget(LOGS_PER_MINUTE);
  const count = (event: string) => totals.leaseEvents.set(event, (totals.leaseEvents.get(event) ?? 0) + 1);
  const lead = leadDhcp(wiring.election ?? alwaysLeader, net.network, log, totals);
  const server = await startDhcpServer({
    address: "0.0.0.0",
    ports: [dhcpPort],
    counters: totals.server,
    handler: async ({ message, fields }, meta) => {
      // Another instance answers this network (and writes its leases): stay silent.
      if (!lead.leading()) {
        totals.followerDropped++;
        return undefined;
      }
      const mac = fields.mac;
      const where = offNetwork(message, meta.from.address, (a) => inIpv4Net(net.network, a));
      if (mac === undefined || where) {
        count("ignored");
        log.debug({ mac }, `dhcp: no answer: ${where ?? "not an Ethernet client"}`);
        return undefined;
      }
      const outcome = await leases.handle(leaseRequest(message, fields, mac));
      count(outcome.event);
      const budget = logs.take();
      if (budget.ok && outcome.event !== "ignored")
        log[
          outcome.event === "nak" ||
          outcome.event === "exhausted" ||
          outcome.event === "throttled" ||
          outcome.event === "unstored"
            ? "warn"
            : "info"
        ](
          {
            dhcp: { mac, event: outcome.event },
            ...(budget.skipped > 0 ? { notLogged: budget.skipped } : {}),
          },
          `dhcp server ${outcome.event} ${mac}: ${outcome.detail}`,
        );
      const a = outcome.answer;
      const b = a === undefined || a.reply === "nak" ? undefined : bootFor(fields, message.xid);
      if (wiring.timeline)
        dhcpToTimeline(
          wiring.timeline,
          fields,
          {
            source: meta.from.address,
            ciaddr: message.ciaddr,
            port: "dhcp",
            ...(a && "yiaddr" in a ? { leased: a.yiaddr } : {}),
          },
          leaseOutcome(outcome.event, outcome.detail, a, b?.bootFile),
        );
      if (!a) return undefined;
      const piMac = b?.clientClass === "raspberry-pi" ? tryParseMac(mac) : undefined;
      if (piMac) wiring.piSeen?.(piMac, fields.clientGuidRaw);
      const reply = leaseReply(message, a, {
        serverId: net.address,
        network: net.network,
        ...(router !== undefined ? { router } : {}),
        dns,
        ...(b ? { boot: b } : {}),
      });
      // RFC 2131 §4.1: a NAK not relayed is broadcast (the client's address is what was refused).
      if (a.reply === "nak" && message.giaddr === "0.0.0.0")
        return { reply, to: { address: "255.255.255.255", port: 68 }, broadcast: true };
      return { reply, ...replyDestination(message, meta) };
    },
    onDrop: (kind, from, problem) => log.debug({ peer: from, kind }, `dhcp: dropped: ${problem}`),
    onFault: (f: UdpFault) => log.debug({ peer: f.peer, fault: f.kind }, `dhcp: ${f.message}`),
  }).catch(async (err: unknown) => {
    // A port that cannot be bound: give the lead up at once rather than hold it without answering.
    await lead.close();
    throw err;
  });
  if (wiring.election) await lead.settle(SETTLE_MS);
  const summary = `server on ${ipv4NetText(net.network)} as ${net.address}, range ${rangeText(range)}`;
  log.info(
    { dhcp: { ports: server.ports, network: ipv4NetText(net.network), address: net.address } },
    `dhcp: ${summary}`,
  );
  return {
    mode: "server",
    ports: server.ports,
    summary,
    lead,
    close: async () => {
      await lead.close();
      await server.close();
    },
  };
}

/** The request as the lease service reads it. */
function leaseRequest(m: DhcpMessage, f: DhcpFields, mac: string): LeaseRequest {
  // A host name only when it is a plain one (it is shown in the API and CLI).
  const hostname =
    f.hostname !== undefined && /^[A-Za-z0-9.-]{1,63}$/.test(f.hostname) ? f.hostname : undefined;
  return {
    ...(f.messageType !== undefined ? { messageType: f.messageType } : {}),
    mac,
    ciaddr: m.ciaddr,
    ...(f.requestedIp !== undefined ? { requestedIp: f.requestedIp } : {}),
    ...(f.serverId !== undefined ? { serverId: f.serverId } : {}),
    ...(hostname !== undefined ? { hostname } : {}),
  };
}

/** Why a request is not from the boot network, by the first address it carries (relay, client, source). */
function offNetwork(m: DhcpMessage, source: string, inside: (a: string) => boolean): string | undefined {
  for (const [what, a] of [
    ["relay", m.giaddr],
    ["client", m.ciaddr],
    ["source", source],
  ] as const) {
    if (a === "0.0.0.0") continue;
    return inside(a) ? undefined : `${what} ${a} is outside the boot network`;
  }
  return undefined;
}
