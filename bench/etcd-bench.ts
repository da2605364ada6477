// `npm run bench -- etcd`: the boot routes on etcd (3 members on loopback, and 1) against the file store, one
// Enforcer each, same run, the boot bench's seeded rack (10,000 machines, 2,000 armed): per-machine script req/s (reads from memory) and first fetches
// of armed configs per second (each a trigger committed to the store before the answer).
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EtcdStore } from "../src/store/etcd/etcd-store.js";
import { FileStore } from "../src/store/file-store.js";
import type { Store } from "../src/store/store.js";
import { startEtcdCluster, type EtcdCluster } from "../test/support/etcd-cluster.js";
import { freePort } from "../test/support/enforcer-process.js";
import { ARMED, MACHINES, fallThroughScript, triggerStorm, wrk } from "./boot-load.js";
import { spawnChild } from "./children.js";
import { untilLine } from "./ready-line.js";
import { seedStore } from "./seed.js";

/** One backend's numbers. */
interface Side {
  name: string;
  fallThroughFirst: number;
  fallThroughAgain: number;
  triggers: number;
  seedMs: number;
}

async function serve(data: string, port: number, store?: string): Promise<ChildProcess> {
  // prettier-ignore
  const child = spawnChild(process.execPath, [
    resolve("bin/enforcer.js"), "serve", "--data", data, "--http-port", String(port), "--listen", "127.0.0.1",
    "--boot-rate-limit", "0", "--no-tftp", "--asset-cache-size", "0", ...(store ? ["--store", store] : []),
  ], { stdio: ["ignore", "pipe", "ignore"] });
  await untilLine(child);
  return child;
}

/** Seeds the store `open` opens (given the server's data directory), starts a server on it and measures. */
async function measure(
  name: string,
  open: (data: string) => Promise<Store>,
  storeUrl?: string,
): Promise<Side> {
  const data = mkdtempSync(join(tmpdir(), "enforcer-etcd-bench-"));
  let child: ChildProcess | undefined;
  try {
    const t0 = performance.now();
    const store = await open(data);
    await seedStore(store, MACHINES, ARMED);
    await store.close();
    const seedMs = Math.round(performance.now() - t0);
    const port = await freePort();
    child = await serve(data, port, storeUrl);
    const base = `http://127.0.0.1:${port}`;
    const lua = fallThroughScript(data);
    // The first pass writes one boot-attempt summary per machine (as the boot bench's first row); the second
    // none: reads from memory only.
    const fallThroughFirst = wrk(`${base}/`, lua);
    const fallThroughAgain = wrk(`${base}/`, lua);
    // wrk blocked this process past the server's keep-alive: let fetch's pool see the closed connections.
    await new Promise((r) => setTimeout(r, 200));
    return { name, fallThroughFirst, fallThroughAgain, triggers: await triggerStorm(base), seedMs };
  } finally {
    if (child) {
      const gone = new Promise((r) => child!.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
    }
    rmSync(data, { recursive: true, force: true });
  }
}

/** Runs the three backends one after the other and answers the table (ratios against the file store). */
export async function etcdBench(): Promise<{ table: string; sides: Side[] }> {
  const sides: Side[] = [];
  // The file store lives in the server's data directory: seeded in place.
  sides.push(await measure("file store", (data) => FileStore.open({ dir: join(data, "store") })));
  for (const members of [3, 1]) {
    const etcd: EtcdCluster = await startEtcdCluster(members);
    try {
      const endpoints = etcd.endpoints.split(",");
      sides.push(
        await measure(
          `etcd, ${members} member${members > 1 ? "s" : ""}`,
          () => EtcdStore.open({ endpoints }),
          etcd.storeUrl,
        ),
      );
    } finally {
      await etcd.stop();
    }
  }
  const file = sides[0]!;
  const row = (label: string, unit: string, get: (s: Side) => number) =>
    `| ${label} | ${sides.map((s) => `${Math.round(get(s))} ${unit}`).join(" | ")} | ${sides
      .slice(1)
      .map((s) => `${(get(s) / get(file)).toFixed(2)}x`)
      .join(" | ")} |`;
  const table = [
    `| workload | ${sides.map((s) => s.name).join(" | ")} | ${sides
      .slice(1)
      .map((s) => `${s.name} / file`)
      .join(" | ")} |`,
    `|---|${sides.map(() => "---:").join("|")}|${sides
      .slice(1)
      .map(() => "---:")
      .join("|")}|`,
    row(
      `per-machine script, ${MACHINES - ARMED} known machines, first pass (one summary write each)`,
      "req/s",
      (s) => s.fallThroughFirst,
    ),
    row("per-machine script again (reads from memory only)", "req/s", (s) => s.fallThroughAgain),
    row(
      `first fetch of ${ARMED} armed configs, 50 concurrent (each a trigger committed first)`,
      "boots/s",
      (s) => s.triggers,
    ),
  ].join("\n");
  return { table, sides };
}
