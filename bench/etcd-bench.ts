// `npm run bench -- etcd`: the boot routes on etcd (3 members on loopback, and 1) against the file store, one
// Enforcer each, same run, same seeded rack: per-machine script req/s (reads from memory) and first fetches
// of armed configs per second (each a trigger committed to the store before the answer).
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EtcdStore } from "../src/store/etcd/etcd-store.js";
import { FileStore } from "../src/store/file-store.js";
import type { Store } from "../src/store/store.js";
import { startEtcdCluster, type EtcdCluster } from "../test/support/etcd-cluster.js";
import { freePort } from "../test/support/enforcer-process.js";
import { wrk } from "./boot-load.js";
import { spawnChild } from "./children.js";
import { untilLine } from "./ready-line.js";
import { benchMac, seedStore } from "./seed.js";

/** Known machines seeded into each store; the first ARMED have an armed config. Smaller than the boot bench's
 * rack: seeding etcd goes through its API, and the numbers measured here do not depend on the rack's size. */
const MACHINES = 2_000;
const ARMED = 500;

/** One backend's numbers. */
interface Side {
  name: string;
  fallThroughFirst: number;
  fallThroughAgain: number;
  triggers: number;
  seedMs: number;
}

/** wrk's Lua: every request names the next machine with nothing armed. */
function luaScript(dir: string): string {
  const path = join(dir, "machines.lua");
  const body = `local i = 0
request = function()
  i = i + 1
  local n = ${ARMED} + (i % ${MACHINES - ARMED})
  local mac = string.format("52-54-00-%02x-%02x-%02x", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  return wrk.format("GET", "/boot/machine?mac=" .. mac .. "&platform=pcbios")
end
`;
  // (written here rather than shared with boot-load.ts: its constants are the 10,000-machine rack's)
  writeFileSync(path, body);
  return path;
}

/** The first fetch of every armed config, 50 at a time; answers boots/s. */
async function triggers(base: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < ARMED) {
      const mac = benchMac(next++);
      const r = await fetch(`${base}/boot/machine?mac=${mac}&platform=pcbios`);
      await r.text();
      if (r.status !== 200) throw new Error(`armed config not served for ${mac}: ${r.status}`);
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  return Math.round(ARMED / ((performance.now() - started) / 1000));
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
    const lua = luaScript(data);
    // The first pass writes one boot-attempt summary per machine (as the boot bench's first row); the second
    // none: reads from memory only.
    const fallThroughFirst = wrk(`${base}/`, lua);
    const fallThroughAgain = wrk(`${base}/`, lua);
    // wrk blocked this process past the server's keep-alive: let fetch's pool see the closed connections.
    await new Promise((r) => setTimeout(r, 200));
    return { name, fallThroughFirst, fallThroughAgain, triggers: await triggers(base), seedMs };
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
