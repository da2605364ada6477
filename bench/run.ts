// `npm run bench`: measures Enforcer against a baseline peer in the same run and writes bench/results/.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { bootBench, type Row } from "./boot-bench.js";

function table(rows: Row[]): string {
  const lines = [
    "| workload | Enforcer | bare node:http | ratio |",
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
const boot = await bootBench();
const when = new Date().toISOString();
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}`,
);
console.log("load tool: wrk -t2 -c50 -d5s on loopback, same script for both servers\n");
console.log(table(boot.rows));
console.log(
  `\n${boot.notes.machines} machines (${boot.notes.armed} armed): ready ${boot.notes.readyMs} ms after spawn, ` +
    `RSS ${boot.notes.rssReadyMiB} MiB at ready, ${boot.notes.rssAfterLoadMiB} MiB after the load`,
);
mkdirSync("bench/results", { recursive: true });
writeFileSync(
  `bench/results/boot-${when.slice(0, 10)}.json`,
  JSON.stringify({ when, machine, ...boot }, null, 2) + "\n",
);
