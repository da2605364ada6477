import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../test/support/enforcer-process.js";
import { ARMED, MACHINES, fallThroughScript, rssMiB, triggerStorm, wrk } from "./boot-load.js";
import { seed } from "./seed.js";
import { spawnChild } from "./children.js";
import { untilLine } from "./ready-line.js";

/** One row of the benchmark table. */
export interface Row {
  workload: string;
  enforcer: number;
  baseline?: number;
  unit: string;
}

async function startServe(data: string, port: number): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = performance.now();
  const child = spawnChild(
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

/** A process's CPU time so far (user and system), in ms. */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * (1000 / 100);
}

/**
 * wrk's rate, and the server's CPU time per request: steadier than the rate on a shared machine, where the
 * rate swings with what else runs but the work a request costs does not (wrk runs 5 s).
 */
function measured(server: ChildProcess, url: string, script?: string): { rate: number; cpuUs: number } {
  const before = cpuMs(server.pid!);
  const rate = wrk(url, script);
  return { rate, cpuUs: Math.round(((cpuMs(server.pid!) - before) * 1000) / (rate * 5)) };
}

/** A peer server from dist/bench/, resolved once it prints its ready line. */
async function startPeer(file: string, ...args: string[]): Promise<ChildProcess> {
  const child = spawnChild(process.execPath, [resolve("dist/bench", file), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((res, rej) => {
    child.stdout!.once("data", () => res());
    child.once("exit", (code) => rej(new Error(`${file} exited ${code} before it was ready`)));
  });
  return child;
}

/**
 * The boot-core benchmark: Enforcer with 10,000 machines against a bare node:http constant-script server, and
 * the framework floor (a Fastify route with a 10,000-entry Map) against the same bare server.
 */
export async function bootBench(): Promise<{
  rows: Row[];
  floor: Row[];
  cpuPerRequest: string;
  notes: Record<string, number>;
}> {
  const data = mkdtempSync(join(tmpdir(), "enforcer-bench-"));
  const t0 = performance.now();
  await seed(join(data, "store"), MACHINES, ARMED);
  const seedMs = Math.round(performance.now() - t0);
  const port = await freePort();
  const { child, readyMs } = await startServe(data, port);
  // A failed step must not leave the servers running: they would outlive the benchmark.
  let bare: ChildProcess | undefined;
  let floor: ChildProcess | undefined;
  try {
    const rssReady = rssMiB(child.pid!);
    const base = `http://127.0.0.1:${port}`;

    // The peers run in their own processes: wrk blocks this one while it measures.
    writeFileSync(join(data, "script.ipxe"), await (await fetch(`${base}/boot.ipxe`)).text());
    const barePort = await freePort();
    bare = await startPeer("bare-server.js", String(barePort), join(data, "script.ipxe"));
    const floorPort = await freePort();
    floor = await startPeer(
      "fastify-floor.js",
      String(floorPort),
      join(data, "script.ipxe"),
      String(MACHINES),
    );

    const lua = fallThroughScript(data);
    const rows: Row[] = [];
    const floorRows: Row[] = [];
    const cpu: string[] = [];
    for (const [workload, path, script] of [
      ["GET /boot.ipxe (general script)", "/boot.ipxe", undefined],
      // The first request of each machine in a day ends an attempt the timeline summarises (one boot.attempt
      // event per machine per day, written): this row holds 8,000 of those writes; the next, none.
      [`per-machine script, ${MACHINES - ARMED} known machines, nothing armed (fall-through)`, "/", lua],
      ["per-machine script again (every machine's attempt already summarised today)", "/", lua],
    ] as const) {
      // The bare server swings by a third from one run to the next on a shared machine: it is measured
      // before and after the two servers it is compared with, and they are compared with the mean.
      const b1 = measured(bare, `http://127.0.0.1:${barePort}${path}`, script);
      const e = measured(child, `${base}${path}`, script);
      const f = measured(floor, `http://127.0.0.1:${floorPort}${path}`, script);
      const b2 = measured(bare, `http://127.0.0.1:${barePort}${path}`, script);
      const baseline = (b1.rate + b2.rate) / 2;
      rows.push({ workload, enforcer: e.rate, baseline, unit: "req/s" });
      floorRows.push({ workload, enforcer: f.rate, baseline, unit: "req/s" });
      const bareCpu = Math.round((b1.cpuUs + b2.cpuUs) / 2);
      cpu.push(`${workload.split(" (")[0]}: ${e.cpuUs} / ${f.cpuUs} / ${bareCpu}`);
    }
    // wrk blocked this process for longer than the server's 10 s keep-alive: let fetch's pool see the
    // connection the server closed meanwhile, or the first request of the storm would be sent on it.
    await new Promise((r) => setTimeout(r, 200));
    rows.push({
      workload: `first fetch of ${ARMED} armed configs, 50 concurrent (each a durable trigger)`,
      enforcer: await triggerStorm(base),
      unit: "boots/s",
    });
    // What the boot load left resident (issue 13 measured 155-200 MiB, goal 100).
    const rssAfter = rssMiB(child.pid!);
    return {
      rows,
      floor: floorRows,
      cpuPerRequest: `CPU µs per request (Enforcer / Fastify + Map / bare node:http): ${cpu.join("; ")}`,
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
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    bare?.kill();
    floor?.kill();
    // The seeded rack is ~10 MB a run: removed once the server has let go of it.
    await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
    rmSync(data, { recursive: true, force: true });
  }
}
