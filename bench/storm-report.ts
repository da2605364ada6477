// The storm's numbers: per side, the time until every machine was done, failures, p50/p99 per step, peak RSS
// and CPU; and the table `npm run bench -- storm` prints.
import type { StormClientReport } from "./storm-client.js";
import type { StormPlan } from "./storm-plan.js";

/** What one side's run gave: the client's report and the server's peak RSS and CPU. */
export interface SideResult {
  side: string;
  client: StormClientReport;
  peakRssMiB: number;
  cpuMs: number;
}

/** The steps a machine goes through, in order (fall-through machines stop after `script`). */
export const STEPS = ["dhcp", "tftp", "ipxe-dhcp", "boot.ipxe", "script", "kernel", "initrd", "complete"];

/** One side over all its rounds. */
export interface SideSummary {
  side: string;
  /** The median round's time until the last machine was done, s. */
  totalS: number;
  roundTotalsS: number[];
  /** Machines that failed, over all rounds, and the first few reasons. */
  failures: number;
  failureExamples: string[];
  p50Ms: Record<string, number>;
  p99Ms: Record<string, number>;
  peakRssMiB: number;
  serverCpuS: number;
  clientCpuS: number;
  dhcpRetries: number;
  tftpRetries: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** The median; of an even count, the mean of the middle two. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
const round1 = (x: number) => Math.round(x * 10) / 10;

function summarizeSide(side: string, runs: SideResult[]): SideSummary {
  const machines = runs.flatMap((r) => r.client.machines);
  const failed = machines.filter((m) => m.failedAt);
  const p50Ms: Record<string, number> = {};
  const p99Ms: Record<string, number> = {};
  for (const s of STEPS) {
    const times = machines
      .flatMap((m) => (m.steps[s] !== undefined ? [m.steps[s]] : []))
      .sort((a, b) => a - b);
    p50Ms[s] = quantile(times, 0.5);
    p99Ms[s] = quantile(times, 0.99);
  }
  return {
    side,
    totalS: round1(median(runs.map((r) => r.client.totalMs)) / 1000),
    roundTotalsS: runs.map((r) => round1(r.client.totalMs / 1000)),
    failures: failed.length,
    failureExamples: [...new Set(failed.map((m) => `${m.failedAt}: ${m.error}`))].slice(0, 5),
    p50Ms,
    p99Ms,
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
    serverCpuS: round1(median(runs.map((r) => r.cpuMs)) / 1000),
    clientCpuS: round1(median(runs.map((r) => r.client.clientCpuMs)) / 1000),
    dhcpRetries: runs.reduce((a, r) => a + r.client.dhcpRetries, 0),
    tftpRetries: runs.reduce((a, r) => a + r.client.tftpRetries, 0),
  };
}

/** Both sides summed up, with the printed table. */
export function summarize(
  o: { machines: number; armed: number; windowMs: number; seed: number; rounds: number },
  plan: StormPlan,
  results: SideResult[],
) {
  const enforcer = summarizeSide(
    "Enforcer",
    results.filter((r) => r.side === "Enforcer"),
  );
  const classic = summarizeSide(
    "dnsmasq + nginx",
    results.filter((r) => r.side !== "Enforcer"),
  );
  const rows: [string, number, number, string][] = [
    [`time until all ${o.machines} are done`, enforcer.totalS, classic.totalS, "s"],
    ["failed machines", enforcer.failures, classic.failures, ""],
    ...STEPS.map((s): [string, number, number, string] => [
      `p99 ${s}`,
      enforcer.p99Ms[s]!,
      classic.p99Ms[s]!,
      "ms",
    ]),
    ["peak RSS (server processes)", enforcer.peakRssMiB, classic.peakRssMiB, "MiB"],
    ["server CPU", enforcer.serverCpuS, classic.serverCpuS, "s"],
    ["client CPU (the simulated machines)", enforcer.clientCpuS, classic.clientCpuS, "s"],
    ["DHCP retries", enforcer.dhcpRetries, classic.dhcpRetries, ""],
    ["TFTP timeouts (resends)", enforcer.tftpRetries, classic.tftpRetries, ""],
  ];
  const cell = (v: number, unit: string) => (Number.isNaN(v) ? "—" : `${v}${unit ? ` ${unit}` : ""}`);
  const table = [
    "| storm | Enforcer | dnsmasq + nginx | ratio |",
    "|---|---:|---:|---:|",
    ...rows.map(
      ([w, e, c, unit]) =>
        `| ${w} | ${cell(e, unit)} | ${cell(c, unit)} | ${e > 0 && c > 0 ? `${(e / c).toFixed(2)}x` : "—"} |`,
    ),
  ].join("\n");
  return {
    options: o,
    sizes: { loader: plan.loaderBytes, kernel: plan.kernelBytes, initrd: plan.initrdBytes },
    rows: rows.map(([workload, e, c, unit]) => ({ workload, enforcer: e, baseline: c, unit })),
    sides: [enforcer, classic],
    table,
  };
}
