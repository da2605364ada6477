// `npm run bench`: measures Enforcer against a baseline peer in the same run and writes bench/results/.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { bootBench, type Row } from "./boot-bench.js";
import { etcdBench } from "./etcd-bench.js";
import { BENCH_TOOLS, requireTools } from "./children.js";
import { footprintBench } from "./footprint-bench.js";
import { labBench } from "./lab-bench.js";
import { queryBench } from "./query-bench.js";
import { soakBench } from "./soak-bench.js";
import { stormBench, stormOptions } from "./storm-bench.js";
import { rssBench } from "./rss-bench.js";
import { tftpBench } from "./tftp-bench.js";
import { uiBench } from "./ui-bench.js";
import { writesBench } from "./writes-bench.js";

function table(rows: Row[], peer: string, first = "Enforcer"): string {
  const lines = [
    `| workload | ${first} | ${peer} | ratio |`,
    "|---|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.workload} | ${Math.round(r.enforcer)} ${r.unit} | ${r.baseline ? `${Math.round(r.baseline)} ${r.unit}` : "—"} | ${
          r.baseline ? `${(r.enforcer / r.baseline).toFixed(2)}x` : "—"
        } |`,
    ),
  ];
  return lines.join("\n");
}

const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
};
// `npm run bench` runs everything; `npm run bench -- boot`, `-- queries` (the machine list), `-- footprint`,
// `-- tftp`, `-- ui` or `-- soak` runs one part (`-- tftp-rss` only the memory rows of the TFTP part; `-- lab` the L2 lab's firmware boots, as root;
// `-- writes` the bytes a boot writes to the data directory, under strace; `-- storm [--machines N …]` the
// boot storm against dnsmasq + nginx, as root: docs/benchmarks.md; `-- etcd` the boot routes on etcd against the file store).
const only = process.argv[2];
// Every tool the chosen parts run is checked before anything starts (bench/children.ts).
try {
  requireTools(only ? (BENCH_TOOLS[only] ?? []) : Object.values(BENCH_TOOLS).flat());
} catch (e) {
  console.error(`npm run bench: ${(e as Error).message}`);
  process.exit(1);
}
const when = new Date().toISOString();
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}\n`,
);
mkdirSync("bench/results", { recursive: true });
const save = (name: string, data: object) =>
  writeFileSync(
    `bench/results/${name}-${when.slice(0, 10)}.json`,
    JSON.stringify({ when, machine, ...data }, null, 2) + "\n",
  );

if (!only || only === "boot") {
  const boot = await bootBench();
  console.log("boot endpoints: wrk -t2 -c50 -d5s on loopback, same script for both servers\n");
  console.log(table(boot.rows, "bare node:http"));
  console.log(
    "\nthe framework floor, same run: a Fastify route with a 10,000-entry Map lookup, same script\n",
  );
  console.log(table(boot.floor, "bare node:http", "Fastify + Map"));
  console.log(`\n${boot.cpuPerRequest}`);
  console.log(
    `\n${boot.notes.machines} machines (${boot.notes.armed} armed): ready ${boot.notes.readyMs} ms after spawn, ` +
      `RSS ${boot.notes.rssReadyMiB} MiB at ready, ${boot.notes.rssAfterLoadMiB} MiB after the boot load\n`,
  );
  save("boot", boot);
}
if (!only || only === "queries") {
  const q = await queryBench();
  console.log(
    "machine list: wrk -t2 -c50 -d5s on loopback, admin token; baseline = QUERY_BENCH_BASELINE's build\n",
  );
  console.log(table(q.rows, "baseline build"));
  save("queries", q);
}
if (!only || only === "footprint") {
  const fp = await footprintBench();
  console.log(
    "footprint: Enforcer as production starts it; bare node:http started and loaded the same way\n",
  );
  console.log(table(fp.rows, "bare node:http"));
  console.log(
    `\nwithout bin/enforcer.js's V8 flags (node bin/enforcer.js): idle ${fp.notes.plainIdleMiB} MiB, ` +
      `10k ready ${fp.notes.plainReadyMiB} MiB, after load ${fp.notes.plainAfterLoadMiB} MiB; fall-through ` +
      `boots ${fp.notes.productionFallThroughRps} req/s with them, ${fp.notes.plainFallThroughRps} without\n` +
      `without the bundle (dist/src's modules, same flags): idle ${fp.notes.modulesIdleMiB} MiB, start to ready ` +
      `${fp.notes.modulesReadyMs} ms against the bundle's ` +
      `${fp.rows[3]!.enforcer} ms (medians, taking turns); CPU time to ready ${fp.notes.modulesReadyCpuMs} ms ` +
      `against the bundle's ${fp.notes.readyCpuMs} ms\n`,
  );
  save("footprint", fp);
}
if (!only || only === "tftp") {
  const rows = await tftpBench();
  console.log(
    "TFTP on loopback, MiB/s summed over clients: curl and windowsize rows median of 5 taking turns, atftp matrix median of 3\n",
  );
  console.log(table(rows, "tftpd-hpa"));
  save("tftp", { rows });
}
if (!only || only === "tftp" || only === "tftp-rss") {
  const rss = await rssBench();
  console.log(`\nmemory: server RSS above idle (${rss.idleMiB} MiB) under 50 large transfers at once\n`);
  console.log(table(rss.rows, "design bound"));
  save("tftp-rss", rss);
}
if (!only || only === "ui") {
  const ui = await uiBench();
  console.log(
    "\nweb app: Debian's Chromium, 10,000 machines, median of 3; baseline = the first page of machines alone\n",
  );
  console.log(table(ui.rows, "data only"));
  console.log(
    `\none cold load transfers ${ui.notes.transferredBytes} bytes (app files gzip + first API calls); ` +
      `${ui.notes.rowsInDom} table rows in the page for ${ui.notes.machines} machines\n`,
  );
  save("ui", ui);
}
if (!only || only === "lab") {
  // The lab needs root and QEMU; without them this part fails with its one line and the others still run.
  const lab = await labBench().catch((e: Error) => {
    console.log(`\nL2 lab: not measured: ${e.message.split("\n")[0]}\n`);
    process.exitCode = 1;
    return undefined;
  });
  if (lab) {
    console.log(
      `\nL2 lab: OVMF's EDK2 PXE client -> snponly.efi -> boot.ipxe -> armed config, one run, proxy swapped ` +
        `(${lab.notes.accel}, IPv6 router advertisements ${lab.notes.ipv6RouterAdvertisements ? "on" : "off"})\n`,
    );
    console.log(table(lab.rows, "dnsmasq proxy"));
    save(lab.notes.ipv6RouterAdvertisements ? "lab-ipv6" : "lab", lab);
  }
}
if (!only || only === "soak") {
  console.log("soak: passes of boot requests (known machines) plus anonymous calls for new MACs, loopback\n");
  const soak = await soakBench();
  console.log(
    `\n${soak.notes.machines} machines, ${soak.notes.anonymousMacs} anonymous MACs, caps ${soak.notes.caps}: ` +
      `after pass 1 RSS <= ${soak.notes.rssBoundMiB} MiB and data <= ${soak.notes.dataBoundMiB} MiB: ${soak.notes.bound}; ` +
      `stored at the end: ${soak.notes.storedMachines} machines, ${soak.notes.storedEvents} events, ` +
      `${soak.notes.storedSessions} discovery sessions\n`,
  );
  save("soak", soak);
}
if (!only || only === "writes") {
  const writes = await writesBench();
  console.log(
    "\nwrites to the data directory per boot (strace: write calls on its files), snapshot share included\n",
  );
  console.log(table(writes.rows, "goal"));
  console.log(`\n${JSON.stringify(writes.notes)}\n`);
  save("writes", writes);
}
if (!only || only === "storm") {
  // A boot storm against dnsmasq + nginx (docs/benchmarks.md); needs root, like the lab: without, one line.
  console.log(
    "\nstorm: simulated UEFI machines, proxyDHCP + TFTP loader + iPXE + HTTP, Enforcer then dnsmasq + nginx\n",
  );
  const storm = await stormBench(stormOptions(process.argv.slice(3))).catch((e: Error) => {
    console.log(`storm: not measured: ${e.message.split("\n")[0]}\n`);
    process.exitCode = 1;
    return undefined;
  });
  if (storm) {
    console.log(
      `\n${storm.table}\n\n${JSON.stringify(storm.sides.map((s) => ({ side: s.side, failures: s.failureExamples, p50Ms: s.p50Ms })))}\n`,
    );
    save("storm", storm);
  }
}
if (!only || only === "etcd") {
  console.log(
    "\netcd: one Enforcer on etcd (3 members on loopback, then 1) against the file store, same run\n",
  );
  const etcd = await etcdBench();
  console.log(
    `${etcd.table}\n\nseeded in ${etcd.sides.map((x) => `${x.seedMs} ms (${x.name})`).join(", ")}\n`,
  );
  save("etcd", etcd);
}
