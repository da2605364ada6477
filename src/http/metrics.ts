import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { PowerMetrics } from "../core/power.js";
import type { CoreCounts } from "../core/stats.js";
import type { StoreStatusView } from "../core/store-status.js";
import { CONFIG_STATES } from "../domain/boot-config.js";

/** What the gauges read at scrape time (from the core; the HTTP layer never reads the store). */
export interface MetricSources {
  /** Configs by state and machines (core.stats). */
  counts(): CoreCounts;
  /** Agent systems configured and the machines each reaches. */
  agents?(): { id: string; machines: number }[];
  /** The boot timeline's live sizes and what its caps dropped (core.timeline.stats). */
  timelines?(): object;
  /** The store's kind and health (core.storeStatus). */
  store?(): StoreStatusView;
  /** Power control: machines by state, each machine's state, actions run (core.power.metrics). */
  power?(): PowerMetrics;
}

/** The TFTP server's running totals, read at scrape time (the TFTP glue passes its counters). */
export interface TftpTotals {
  readonly transfers: ReadonlyMap<string, number>;
  readonly faults: ReadonlyMap<string, number>;
  readonly bytes: number;
}

/** The DHCP service's running totals, read at scrape time (the DHCP glue passes them). */
export interface DhcpMetricTotals {
  /** proxyDHCP answers by client class. */
  readonly answers: ReadonlyMap<string, number>;
  /** Requests the proxy did not answer, by reason (not PXE, off the boot network, unknown machine, …). */
  readonly skipped: ReadonlyMap<string, number>;
  /** Datagrams dropped before decoding or policy, by kind. */
  readonly dropped: ReadonlyMap<string, number>;
  readonly faults: ReadonlyMap<string, number>;
  received(): number;
  /** `--dhcp server`: requests by what came of them (offer, ack, renew, nak, declined, …). */
  readonly leaseEvents?: ReadonlyMap<string, number>;
  /** `--dhcp server`: leases in use and addresses free to offer (undefined in other modes). */
  leases?(): { inUse: number; free: number } | undefined;
  /** The boot network this instance campaigns for and whether it leads it (undefined while DHCP is off). */
  lead?(): { network: string; leading: boolean } | undefined;
  /** Requests dropped unanswered because another instance leads the boot network. */
  followerDropped?(): number;
}

/** Everything /metrics reports; the boot routes and the timed store feed it. */
export class Metrics {
  readonly registry = new Registry();
  readonly bootRequests = new Counter({
    name: "enforcer_boot_requests_total",
    help: "Per-machine boot script requests by answer (config, discovery, none).",
    labelNames: ["answer"],
    registers: [this.registry],
  });
  readonly storeWrites = new Histogram({
    name: "enforcer_store_write_seconds",
    help: "Time from a commit to its fsync.",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  constructor(sources: MetricSources, tftp?: TftpTotals, dhcp?: DhcpMetricTotals) {
    const registers = [this.registry];
    new Gauge({
      name: "enforcer_configs",
      help: "Boot configs by state.",
      labelNames: ["state"],
      registers,
      collect() {
        const counts: Record<string, number> = Object.fromEntries(CONFIG_STATES.map((s) => [s, 0]));
        for (const [state, n] of Object.entries(sources.counts().configsByState)) counts[state] = n;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
    new Gauge({
      name: "enforcer_machines",
      help: "Machines Enforcer knows.",
      registers,
      collect() {
        this.set(sources.counts().machines);
      },
    });
    new Gauge({
      name: "enforcer_agents_connected",
      help: "Agent systems configured (serf, consul), and the machines each reaches.",
      labelNames: ["agent"],
      registers,
      collect() {
        for (const a of sources.agents?.() ?? []) this.set({ agent: a.id }, a.machines);
      },
    });
    new Gauge({
      name: "enforcer_boot_timelines",
      help: "Boot timeline: MACs and addresses followed in memory, steps and MACs the caps dropped, attempts persisted.",
      labelNames: ["what"],
      registers,
      collect() {
        for (const [what, n] of Object.entries(sources.timelines?.() ?? {}))
          if (typeof n === "number") this.set({ what }, n);
      },
    });
    if (sources.store) registerStoreGauges(registers, sources.store);
    if (sources.power) registerPowerGauges(registers, sources.power);
    if (tftp) {
      new Gauge({
        name: "enforcer_tftp_transfers_total",
        help: "TFTP transfers by outcome.",
        labelNames: ["outcome"],
        registers,
        collect() {
          for (const [outcome, n] of tftp.transfers) this.set({ outcome }, n);
        },
      });

      new Gauge({
        name: "enforcer_tftp_bytes_total",
        help: "Bytes sent over TFTP.",
        registers,
        collect() {
          this.set(tftp.bytes);
        },
      });
    }
    if (tftp || dhcp)
      new Gauge({
        name: "enforcer_udp_faults_total",
        help: "UDP datagrams dropped unread (e.g. from port 0), replies refused or failed, handler failures.",
        labelNames: ["server", "kind"],
        registers,
        collect() {
          for (const [kind, n] of tftp?.faults ?? []) this.set({ server: "tftp", kind }, n);
          for (const [kind, n] of dhcp?.faults ?? []) this.set({ server: "dhcp", kind }, n);
        },
      });
    if (dhcp) registerDhcpGauges(registers, dhcp);
  }
}

/** The store's health as one line per state, the current one 1 (an alert reads `enforcer_store_health{state="ok"} == 0`). */
function registerStoreGauges(registers: Registry[], store: () => StoreStatusView): void {
  new Gauge({
    name: "enforcer_store_health",
    help: "The store's health: 1 on the line of the state it is in (ok, degraded, unavailable), 0 on the others.",
    labelNames: ["state"],
    registers,
    collect() {
      const now = store().state;
      for (const state of ["ok", "degraded", "unavailable"] as const)
        this.set({ state }, state === now ? 1 : 0);
    },
  });
  new Gauge({
    name: "enforcer_store_shared",
    help: "1 when other Enforcer instances share this store (etcd), 0 for the file store.",
    registers,
    collect() {
      this.set(store().shared ? 1 : 0);
    },
  });
}

/**
 * Power control. Each gauge is rebuilt at every scrape, so a machine whose power control was removed (or
 * whose state became unknown) leaves the output instead of showing its last value for ever. Label values
 * (machine ids) are escaped by prom-client's text format (backslash, quote, newline).
 */
function registerPowerGauges(registers: Registry[], power: () => PowerMetrics): void {
  new Gauge({
    name: "enforcer_power_machines",
    help: "Machines with power control, by last observed power state (on, off, unknown).",
    labelNames: ["state"],
    registers,
    collect() {
      this.reset();
      for (const [state, n] of Object.entries(power().byState)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: "enforcer_machine_power_on",
    help: "1 when the machine's last observed power state is on, 0 when off; absent while unknown.",
    labelNames: ["machine", "driver"],
    registers,
    collect() {
      this.reset();
      for (const m of power().machines)
        if (m.state !== "unknown")
          this.set({ machine: m.machine, driver: m.driver }, m.state === "on" ? 1 : 0);
    },
  });
  new Gauge({
    name: "enforcer_power_actions_total",
    help: "Power actions run since start, by driver, action and outcome (ok, or the error code).",
    labelNames: ["driver", "action", "outcome"],
    registers,
    collect() {
      this.reset();
      for (const a of power().actions)
        this.set({ driver: a.driver, action: a.action, outcome: a.outcome }, a.count);
    },
  });
}

function registerDhcpGauges(registers: Registry[], dhcp: DhcpMetricTotals): void {
  const byLabel = (name: string, help: string, label: string, values: ReadonlyMap<string, number>) =>
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers,
      collect() {
        for (const [v, n] of values) this.set({ [label]: v }, n);
      },
    });
  byLabel("enforcer_dhcp_answers_total", "proxyDHCP answers by client class.", "class", dhcp.answers);
  byLabel(
    "enforcer_dhcp_unanswered_total",
    "DHCP requests left unanswered by reason (not-pxe, off-network, unknown-machine, no-loader, …).",
    "reason",
    dhcp.skipped,
  );
  byLabel(
    "enforcer_dhcp_dropped_total",
    "DHCP datagrams dropped as malformed or hostile, by kind.",
    "kind",
    dhcp.dropped,
  );
  new Gauge({
    name: "enforcer_dhcp_received_total",
    help: "DHCP datagrams received.",
    registers,
    collect() {
      this.set(dhcp.received());
    },
  });
  byLabel(
    "enforcer_dhcp_lease_events_total",
    "--dhcp server requests by outcome (offer, ack, renew, nak, declined, released, inform, exhausted, throttled, unstored, ignored).",
    "event",
    dhcp.leaseEvents ?? new Map(),
  );
  new Gauge({
    name: "enforcer_dhcp_leases",
    help: "--dhcp server: addresses of the range leased (in-use) and free to offer (free).",
    labelNames: ["state"],
    registers,
    collect() {
      const c = dhcp.leases?.();
      if (!c) return;
      this.set({ state: "in-use" }, c.inUse);
      this.set({ state: "free" }, c.free);
    },
  });
  new Gauge({
    name: "enforcer_dhcp_leader",
    help: "1 while this instance leads its boot network's DHCP (answers), 0 while another does (with a shared store).",
    labelNames: ["network"],
    registers,
    collect() {
      this.reset();
      const l = dhcp.lead?.();
      if (l) this.set({ network: l.network }, l.leading ? 1 : 0);
    },
  });
  new Gauge({
    name: "enforcer_dhcp_follower_dropped_total",
    help: "DHCP requests left unanswered because another instance leads the boot network.",
    registers,
    collect() {
      this.set(dhcp.followerDropped?.() ?? 0);
    },
  });
}

/** `GET /metrics` in Prometheus text format (viewer token). */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get("/metrics", { schema: { hide: true }, config: { role: "viewer" } }, async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
