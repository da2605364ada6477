import type { ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { freePort } from "../test/support/enforcer-process.js";
import type { Row } from "./boot-bench.js";
import { ARMED, MACHINES, fallThroughScript, rssMiB, triggerStorm, wrk } from "./boot-load.js";
import { seed } from "./seed.js";
import { untilLine } from "./ready-line.js";
import { spawnChild } from "./children.js";

/** Starts measured for start-to-ready; the median is the row (one start is noisy on a shared machine). */
const STARTS = 3;
/** Memory is read this long after the ready line: the state a person finds, not the middle of a start. */
const SETTLE_MS = 1_000;

/** The goals of issue 13, in the unit of each row. */
export const FOOTPRINT_GOALS = { idleMiB: 80, tenThousandMiB: 100, readyMs: 1000 };

/** CPU time (user + system, all threads) the process has used: unlike wall time, barely moved by others' load. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks of 10 ms
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How Enforcer is started: `production` runs bin/enforcer.js as a program (its `#!` line, as the installed
 * `enforcer` command, the service and the container start it, with the V8 flags it sets); `plain` is
 * `node bin/enforcer.js`, without them, to show what the flags buy; `modules` is production's flags over
 * dist/src's ~180 modules instead of the bundle (scripts/bundle.mjs), to show what the bundle buys.
 */
type Launch = "production" | "plain" | "modules";

async function startEnforcer(
  data: string,
  launch: Launch,
): Promise<{ child: ChildProcess; readyMs: number; cpuMs: number; port: number }> {
  const port = await freePort();
  const bin = resolve("bin/enforcer.js");
  const args = ["serve", "--data", data, "--http-port", String(port), "--listen", "127.0.0.1"].concat([
    "--boot-rate-limit",
    "0",
    "--no-tftp",
    "--log-level",
    "warn",
  ]);
  const started = performance.now();
  // The `#!` line finds `node` on PATH: this one first.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` };
  const modules = ["--max-semi-space-size=1", resolve("dist/src/daemon/main.js")];
  const child =
    launch === "production"
      ? spawnChild(bin, args, { stdio: ["ignore", "pipe", "inherit"], env })
      : spawnChild(process.execPath, [...(launch === "plain" ? [bin] : modules), ...args], {
          stdio: ["ignore", "pipe", "inherit"],
        });
  await untilLine(child);
  return { child, readyMs: Math.round(performance.now() - started), cpuMs: cpuMs(child.pid!), port };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/** The boot load: 5 s of fall-through boots, then the first fetch of every armed config (50 at a time). */
async function bootLoad(base: string, lua: string): Promise<number> {
  const rate = wrk(`${base}/`, lua);
  await sleep(200); // wrk outlived the server's keep-alive: let fetch's pool notice the closed sockets
  await triggerStorm(base);
  return rate;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The footprint rows of issue 13: idle RSS, RSS with 10,000 machines at ready and after the boot load, and
 * start to ready with 10,000 machines, each beside bare `node:http` measured in this run (same load).
 */
export async function footprintBench(): Promise<{ rows: Row[]; notes: Record<string, number> }> {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-footprint-"));
  const running: ChildProcess[] = [];
  try {
    // The floor: bare node:http answering a constant script, started, measured and loaded the same way.
    const script = join(dir, "script.ipxe");
    writeFileSync(script, "#!ipxe\nchain --autofree http://127.0.0.1/boot/machine?mac=${net0/mac} || exit\n");
    const barePort = await freePort();
    const t0 = performance.now();
    const bare = spawnChild(
      process.execPath,
      [resolve("dist/bench/bare-server.js"), String(barePort), script],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    running.push(bare);
    await untilLine(bare, "ready");
    const bareReadyMs = Math.round(performance.now() - t0);
    await sleep(SETTLE_MS);
    const bareIdle = rssMiB(bare.pid!);
    const lua = fallThroughScript(dir);
    const bareRate = wrk(`http://127.0.0.1:${barePort}/`, lua);
    const bareAfter = rssMiB(bare.pid!);

    const idle: Record<Launch, number> = { production: 0, plain: 0, modules: 0 };
    for (const launch of ["production", "plain", "modules"] as const) {
      const e = await startEnforcer(join(dir, `empty-${launch}`), launch);
      running.push(e.child);
      await sleep(SETTLE_MS);
      idle[launch] = rssMiB(e.child.pid!);
      await stop(e.child);
    }

    const seeded = join(dir, "seeded");
    await seed(join(seeded, "store"), MACHINES, ARMED);
    // Each measurement starts from the same seeded data: the boot load changes it.
    const fresh = (name: string) => {
      const d = join(dir, name);
      cpSync(seeded, d, { recursive: true });
      return d;
    };
    // Bundle and modules take turns, so both see the same load on a shared machine.
    const readyMs: number[] = [];
    const modulesReadyMs: number[] = [];
    const readyCpuMs: Record<"production" | "modules", number[]> = { production: [], modules: [] };
    for (let i = 0; i < STARTS; i++) {
      for (const launch of ["production", "modules"] as const) {
        const e = await startEnforcer(fresh(`start-${launch}-${i}`), launch);
        running.push(e.child);
        (launch === "production" ? readyMs : modulesReadyMs).push(e.readyMs);
        readyCpuMs[launch].push(e.cpuMs);
        await stop(e.child);
      }
    }
    const load: Record<"production" | "plain", { ready: number; after: number; rate: number }> = {
      production: { ready: 0, after: 0, rate: 0 },
      plain: { ready: 0, after: 0, rate: 0 },
    };
    for (const launch of ["production", "plain"] as const) {
      const e = await startEnforcer(fresh(`load-${launch}`), launch);
      running.push(e.child);
      await sleep(SETTLE_MS);
      const ready = rssMiB(e.child.pid!);
      const rate = await bootLoad(`http://127.0.0.1:${e.port}`, lua);
      load[launch] = { ready, after: rssMiB(e.child.pid!), rate: Math.round(rate) };
      await stop(e.child);
    }
    const { idleMiB, tenThousandMiB, readyMs: goalMs } = FOOTPRINT_GOALS;
    const rows: Row[] = [
      {
        workload: `idle RSS after start (goal ≤ ${idleMiB} MiB)`,
        enforcer: idle.production,
        baseline: bareIdle,
      },
      {
        workload: `RSS at ready, ${MACHINES} machines (goal ≤ ${tenThousandMiB} MiB)`,
        enforcer: load.production.ready,
        baseline: bareIdle,
      },
      {
        workload: `RSS after the boot load, ${MACHINES} machines (goal ≤ ${tenThousandMiB} MiB)`,
        enforcer: load.production.after,
        baseline: bareAfter,
      },
      {
        workload: `start to ready, ${MACHINES} machines, median of ${STARTS} (goal ≤ ${goalMs} ms)`,
        enforcer: median(readyMs),
        baseline: bareReadyMs,
      },
    ].map((r) => ({ ...r, unit: r.workload.includes("ms)") ? "ms" : "MiB" }));
    return {
      rows,
      notes: {
        plainIdleMiB: idle.plain,
        modulesIdleMiB: idle.modules,
        modulesReadyMs: median(modulesReadyMs),
        readyCpuMs: median(readyCpuMs.production),
        modulesReadyCpuMs: median(readyCpuMs.modules),
        plainReadyMiB: load.plain.ready,
        plainAfterLoadMiB: load.plain.after,
        productionFallThroughRps: load.production.rate,
        plainFallThroughRps: load.plain.rate,
        bareFallThroughRps: Math.round(bareRate),
        ...Object.fromEntries(readyMs.map((ms, i) => [`readyMs${i + 1}`, ms])),
      },
    };
  } finally {
    for (const c of running) if (c.exitCode === null) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}
