// The boot load the boot and footprint benchmarks share: the seeded rack, wrk over the fall-through machines,
// and the first fetch of every armed config. One definition, so the two benches load the server the same way.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchMac } from "./seed.js";

/** Machines seeded into the store; the first ARMED of them have an armed config. */
export const MACHINES = 10_000;
/** Machines with an armed config (the rest fall through). */
export const ARMED = 2_000;

/** A process's resident memory in MiB, one decimal. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Math.round((Number(m?.[1]) / 1024) * 10) / 10;
}

/** wrk's Lua: every request names the next of the fall-through machines (those with no armed config). */
export function fallThroughScript(dir: string): string {
  const path = join(dir, "machines.lua");
  writeFileSync(
    path,
    `local i = 0
request = function()
  i = i + 1
  local n = ${ARMED} + (i % ${MACHINES - ARMED})
  local mac = string.format("52-54-00-%02x-%02x-%02x", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  return wrk.format("GET", "/boot/machine?mac=" .. mac .. "&platform=pcbios")
end
`,
  );
  return path;
}

/** Requests a second from wrk: 2 threads, 50 connections, 5 s. */
export function wrk(url: string, script?: string, header?: string): number {
  const args = [
    "-t2",
    "-c50",
    "-d5s",
    ...(script ? ["-s", script] : []),
    ...(header ? ["-H", header] : []),
    url,
  ];
  const out = execFileSync("wrk", args, { encoding: "utf8" });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!m) throw new Error(`wrk printed no rate:\n${out}`);
  return Number(m[1]);
}

/** First fetch of every armed config, 50 at a time: each is a durable write (trigger + event). Boots/s. */
export async function triggerStorm(base: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < ARMED) {
      const mac = benchMac(next++);
      const r = await fetch(`${base}/boot/machine?mac=${mac}&platform=pcbios`);
      if (r.status !== 200) throw new Error(`armed config not served for ${mac}: ${r.status}`);
      await r.text();
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  return Math.round(ARMED / ((performance.now() - started) / 1000));
}
