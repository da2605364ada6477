// The machine list's queries over the seeded rack: the first page, a search, a label filter on a deep page
// and the cases around them, with wrk. With QUERY_BENCH_BASELINE set to another checkout's bin/enforcer.js
// (built), each row also measures that build on a copy of the same data, in the same run, taking turns.
import type { ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../test/support/enforcer-process.js";
import type { Row } from "./boot-bench.js";
import { ARMED, MACHINES, wrk } from "./boot-load.js";
import { spawnChild, stop } from "./children.js";
import { untilLine } from "./ready-line.js";
import { seed } from "./seed.js";

/** The queries: what the boot bench measured before, and the cases around them. */
const QUERIES = [
  ["first page", "limit=100"],
  ["search, one hit", "search=node-9999&limit=100"],
  ["label filter, deep page", "label=rack%3Dr7&limit=100&offset=200"],
  ["search, 1,111 hits", "search=node-1&limit=100"],
  ["search, every machine", "search=rack&limit=100"],
  ["label filter and search", "label=rack%3Dr7&search=node-1&limit=100"],
  ["config state filter", "state=armed&limit=100&offset=1000"],
] as const;

/** A server under load: its process, base URL and admin token's header (each first start makes its own). */
interface Server {
  child: ChildProcess;
  base: string;
  auth: string;
}

/** Starts one server on `data` (stopped with the run: bench/children.ts). */
async function serve(bin: string, data: string): Promise<Server> {
  const port = await freePort();
  const args = ["serve", "--data", data, "--http-port", String(port), "--listen", "127.0.0.1", "--no-tftp"];
  const child = spawnChild(process.execPath, [bin, ...args, "--log-level", "warn"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await untilLine(child);
  const token = readFileSync(join(data, "admin.token"), "utf8").trim();
  return { child, base: `http://127.0.0.1:${port}`, auth: `Bearer ${token}` };
}

/** Requests a second for one query; a first request builds what it reads (the index: on first use). */
async function rate(s: Server, query: string): Promise<number> {
  const url = `${s.base}/api/v1/machines?${query}`;
  const r = await fetch(url, { headers: { authorization: s.auth } });
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  await r.text();
  return wrk(url, undefined, `Authorization: ${s.auth}`);
}

/** GET /api/v1/machines over 10,000 machines (2,000 armed): req/s per query, wrk -t2 -c50 -d5s. */
export async function queryBench(): Promise<{ rows: Row[]; notes: Record<string, string | number> }> {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-query-bench-"));
  const servers: Server[] = [];
  try {
    const data = join(dir, "data");
    await seed(join(data, "store"), MACHINES, ARMED);
    const other = process.env.QUERY_BENCH_BASELINE;
    if (other) cpSync(data, join(dir, "baseline"), { recursive: true });
    const now = await serve(resolve("bin/enforcer.js"), data);
    servers.push(now);
    const before = other ? await serve(resolve(other), join(dir, "baseline")) : undefined;
    if (before) servers.push(before);
    const rows: Row[] = [];
    for (const [what, query] of QUERIES) {
      rows.push({
        workload: `GET /api/v1/machines (${what}) over ${MACHINES} machines`,
        enforcer: await rate(now, query),
        ...(before ? { baseline: await rate(before, query) } : {}),
        unit: "req/s",
      });
    }
    return { rows, notes: { machines: MACHINES, armed: ARMED, baseline: other ?? "none" } };
  } finally {
    await stop(servers.map((s) => s.child));
    rmSync(dir, { recursive: true, force: true });
  }
}
