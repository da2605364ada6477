import type { ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
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
    const baseline = spawnChild(
      process.execPath,
      [resolve("dist/bench/bare-server.js"), String(barePort), join(data, "script.ipxe")],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    bare = baseline;
    await new Promise<void>((r) => baseline.stdout!.once("data", () => r()));

    const lua = fallThroughScript(data);
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
