import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../test/support/enforcer-process.js";
import { benchMac, seed } from "./seed.js";
import { untilLine } from "./ready-line.js";

const MACHINES = 10_000;
const ARMED = 2_000;

/** One row of the benchmark table. */
export interface Row {
  workload: string;
  enforcer: number;
  baseline?: number;
  unit: string;
}

/** wrk's Lua: every request names the next of the fall-through machines (those with no armed config). */
function wrkScript(dir: string): string {
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

function wrk(url: string, script?: string, header?: string): number {
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

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Math.round((Number(m?.[1]) / 1024) * 10) / 10;
}

async function startServe(data: string, port: number): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      resolve("bin/enforcer.js"),
      "serve",
      "--data",
      data,
      "--http-port",
      String(port),
      "--listen",
      "127.0.0.1",
      // The load comes from one address: lift the per-address boot rate limit.
      "--boot-rate-limit",
      "0",
      "--no-tftp",
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  await untilLine(child);
  return { child, readyMs: Math.round(performance.now() - started) };
}

/** First fetch of every armed config, 50 at a time: each is a durable write (trigger + event). */
async function triggerStorm(base: string): Promise<number> {
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

/** The boot-core benchmark: Enforcer with 10,000 machines against a bare node:http constant-script server. */
export async function bootBench(): Promise<{ rows: Row[]; notes: Record<string, number> }> {
  const data = mkdtempSync(join(tmpdir(), "enforcer-bench-"));
  const t0 = performance.now();
  await seed(join(data, "store"), MACHINES, ARMED);
  const seedMs = Math.round(performance.now() - t0);
  const port = await freePort();
  const { child, readyMs } = await startServe(data, port);
  // A failed step must not leave the servers running: they would outlive the benchmark.
  let bare: ChildProcess | undefined;
  try {
    const rssReady = rssMiB(child.pid!);
    const base = `http://127.0.0.1:${port}`;

    // The baseline runs in its own process: wrk blocks this one while it measures.
    writeFileSync(join(data, "script.ipxe"), await (await fetch(`${base}/boot.ipxe`)).text());
    const barePort = await freePort();
    const baseline = spawn(
      process.execPath,
      [resolve("dist/bench/bare-server.js"), String(barePort), join(data, "script.ipxe")],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    bare = baseline;
    await new Promise<void>((r) => baseline.stdout!.once("data", () => r()));

    const lua = wrkScript(data);
    const rows: Row[] = [];
    rows.push({
      workload: "GET /boot.ipxe (general script)",
      enforcer: wrk(`${base}/boot.ipxe`),
      baseline: wrk(`http://127.0.0.1:${barePort}/boot.ipxe`),
      unit: "req/s",
    });
    rows.push({
      workload: `per-machine script, ${MACHINES - ARMED} known machines, nothing armed (fall-through)`,
      enforcer: wrk(`${base}/`, lua),
      baseline: wrk(`http://127.0.0.1:${barePort}/`, lua),
      unit: "req/s",
    });
    // wrk blocked this process for longer than the server's 10 s keep-alive: let fetch's pool see the
    // connection the server closed meanwhile, or the first request of the storm would be sent on it.
    await new Promise((r) => setTimeout(r, 200));
    rows.push({
      workload: `first fetch of ${ARMED} armed configs, 50 concurrent (each a durable trigger)`,
      enforcer: await triggerStorm(base),
      unit: "boots/s",
    });
    const token = readFileSync(join(data, "admin.token"), "utf8").trim();
    for (const [what, query] of [
      ["first page", "limit=100"],
      ["search", "search=node-9999&limit=100"],
      ["label filter, deep page", "label=rack%3Dr7&limit=100&offset=200"],
    ] as const) {
      rows.push({
        workload: `GET /api/v1/machines (${what}) over ${MACHINES} machines`,
        enforcer: wrk(`${base}/api/v1/machines?${query}`, undefined, `Authorization: Bearer ${token}`),
        unit: "req/s",
      });
    }
    const rssAfter = rssMiB(child.pid!);
    return {
      rows,
      notes: {
        machines: MACHINES,
        armed: ARMED,
        seedMs,
        readyMs,
        rssReadyMiB: rssReady,
        rssAfterLoadMiB: rssAfter,
      },
    };
  } finally {
    child.kill("SIGTERM");
    bare?.kill();
  }
}
