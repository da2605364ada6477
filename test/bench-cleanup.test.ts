// Benchmarks clean up after themselves (bench/children.ts): a missing tool stops a run before it starts
// anything, and a run stopped by a signal or an uncaught error leaves none of its processes behind. Cheap: no
// benchmark is measured; the children are small node processes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { until } from "./support/until.js";

/** Pids of the processes whose environment holds `mark`: a run's children inherit it, wherever they end up. */
function marked(mark: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/environ`, "latin1").split("\0").includes(`BENCH_MARK=${mark}`))
        pids.push(Number(p));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

/** Runs `node args` with the mark set; answers its exit code or signal, stderr, and a way to wait for a line. */
function runMarked(args: string[], env: Record<string, string> = {}) {
  const mark = randomUUID();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, BENCH_MARK: mark },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const ended = new Promise<string>((r) => child.once("exit", (code, signal) => r(String(signal ?? code))));
  return { child, mark, ended, stderr: () => err, stdout: () => out };
}

test("a bench whose load tool is missing says what to install and starts nothing", async () => {
  const empty = mkdtempSync(join(tmpdir(), "enf-nopath-"));
  try {
    // No wrk on PATH: the queries part would seed 10,000 machines and start a server before reaching it.
    const run = runMarked([resolve("dist/bench/run.js"), "queries"], { PATH: empty });
    assert.equal(await run.ended, "1");
    const lines = run.stderr().trim().split("\n");
    assert.deepEqual(lines, [
      "npm run bench: the benchmark needs wrk on PATH: apt-get install wrk (or bash scripts/ensure-peers.sh bench)",
    ]);
    assert.deepEqual(marked(run.mark), [], "no process of the run is left");
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

// A run that starts a server which starts one of its own (as strace starts Enforcer), and one process
// spawned the old way, to show that the check below sees what is left behind.
const fixture = (then: string) => `
import { spawn } from "node:child_process";
import { spawnChild } from ${JSON.stringify(resolve("dist/bench/children.js"))};
const server = "require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); setInterval(() => {}, 1000)";
spawnChild(process.execPath, ["-e", server], { stdio: "ignore" });
const old = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore", env: { ...process.env, BENCH_MARK: process.env.BENCH_MARK + "-untracked" } });
old.unref();
setTimeout(() => console.log("up " + old.pid), 300);
process.stdin.on("data", () => { ${then} });
setInterval(() => {}, 1000);
`;

for (const [how, signal, then, expect] of [
  ["SIGTERM", "SIGTERM", "", "143"],
  ["SIGINT (Ctrl-C)", "SIGINT", "", "130"],
  ["an uncaught error", undefined, "throw new Error('step failed')", "1"],
] as const) {
  test(`a bench stopped by ${how} leaves none of its processes behind`, async () => {
    const run = runMarked(["--input-type=module", "-e", fixture(then)]);
    await until("the run's children", async () => run.stdout().includes("up ") || undefined, 10_000, 50);
    const untracked = Number(/up (\d+)/.exec(run.stdout())![1]);
    try {
      // The run, its server and the server's own.
      await until("three processes", async () => marked(run.mark).length === 3 || undefined, 10_000, 50);
      if (signal) run.child.kill(signal);
      else run.child.stdin!.write("go\n");
      assert.equal(await run.ended, expect);
      await until("the end", async () => marked(run.mark).length === 0 || undefined, 5_000, 50).catch(
        () => {},
      );
      assert.deepEqual(marked(run.mark), [], "no child or grandchild of the run is left");
      assert.deepEqual(
        marked(`${run.mark}-untracked`),
        [untracked],
        "a plain spawn is left: the check sees it",
      );
    } finally {
      process.kill(untracked, "SIGKILL");
      for (const pid of marked(run.mark)) process.kill(pid, "SIGKILL");
    }
  });
}
