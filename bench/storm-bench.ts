// `npm run bench -- storm`: a boot storm of simulated machines against Enforcer and against the classic stack
// (dnsmasq + nginx), one after the other on the same namespace pair, the same seeded plan for both.
// Options: --machines N (1000), --armed N (200), --window S (10: all start within S seconds), --seed N (14),
// --rounds N (1; more take turns: Enforcer first, then the classic stack first, and so on).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { onStopSignal, spawnChild, stop } from "./children.js";
import type { StormClientReport } from "./storm-client.js";
import { writeStormFiles, writeClassicScripts } from "./storm-files.js";
import { stormNet } from "./storm-net.js";
import { makePlan, MAX_MACHINES, NET, type StormPlan } from "./storm-plan.js";
import { SideSampler } from "./storm-procs.js";
import { summarize, type SideResult } from "./storm-report.js";
import { startClassic, startEnforcer, type Stack } from "./storm-stacks.js";

const CLIENT = join(dirname(fileURLToPath(import.meta.url)), "storm-client.js");

/** The storm's settings, from the command line after `storm`. */
export interface StormOptions {
  machines: number;
  armed: number;
  windowMs: number;
  seed: number;
  rounds: number;
}

/** Reads the options; throws one line on a bad one. */
export function stormOptions(argv: string[]): StormOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      machines: { type: "string", default: "1000" },
      armed: { type: "string", default: "" },
      window: { type: "string", default: "10" },
      seed: { type: "string", default: "14" },
      rounds: { type: "string", default: "1" },
    },
  });
  const machines = Number(values.machines);
  const armed = values.armed === "" ? Math.round(machines / 5) : Number(values.armed);
  const o = {
    machines,
    armed,
    windowMs: Number(values.window) * 1000,
    seed: Number(values.seed),
    rounds: Number(values.rounds),
  };
  if (!Number.isInteger(machines) || machines < 1 || machines > MAX_MACHINES)
    throw new Error(`--machines must be 1-${MAX_MACHINES}`);
  if (!Number.isInteger(armed) || armed < 0 || armed > machines)
    throw new Error("--armed must be 0 to --machines");
  if (!(o.windowMs >= 0) || !Number.isInteger(o.seed) || !Number.isInteger(o.rounds) || o.rounds < 1)
    throw new Error("--window needs seconds >= 0, --seed and --rounds integers (rounds >= 1)");
  return o;
}

/** Stops with one line when a peer or root is missing. */
function checkPeers(): void {
  if (process.getuid?.() !== 0)
    throw new Error("the storm bench makes network namespaces and binds ports 67/69/80: run it as root");
  for (const bin of ["dnsmasq", "nginx", "ip"]) {
    try {
      execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" });
    } catch {
      throw new Error(`${bin} is missing: run scripts/ensure-peers.sh bench (dnsmasq-base, nginx, iproute2)`);
    }
  }
}

/** Runs the storm client in `clientNs` (a tracked child: a signal or an error stops it); answers its report. */
async function runClient(clientNs: string, planFile: string): Promise<string> {
  const child = spawnChild("ip", ["netns", "exec", clientNs, process.execPath, CLIENT, planFile], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => out.push(d));
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  // The machines give up on their own long before this; a client that hangs still ends the run.
  const timer = setTimeout(() => void stop([child]), 15 * 60_000);
  try {
    const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
      child.once("exit", (c, s) => r([c, s])),
    );
    if (code !== 0) throw new Error(`the storm client failed (${signal ?? code}):\n${stderr}`);
    return Buffer.concat(out).toString();
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the machines against the stack that is up, sampling its processes. */
async function runSide(stack: Stack, clientNs: string, planFile: string): Promise<SideResult> {
  const sampler = new SideSampler(() => stack.pids());
  try {
    const out = await runClient(clientNs, planFile);
    return { side: stack.name, client: JSON.parse(out) as StormClientReport, ...sampler.stop() };
  } finally {
    sampler.stop();
  }
}

/** The whole storm: every round, both sides; answers the summary of each side. */
export async function stormBench(o: StormOptions): Promise<ReturnType<typeof summarize>> {
  checkPeers();
  const dir = mkdtempSync(join(tmpdir(), "enforcer-storm-"));
  const root = join(dir, "root");
  mkdirSync(root);
  const sizes = writeStormFiles(root);
  const plan: StormPlan = makePlan({
    count: o.machines,
    armed: o.armed,
    seed: o.seed,
    windowMs: o.windowMs,
    sizes,
  });
  writeClassicScripts(root, plan, `http://${NET.server}`);
  const planFile = join(dir, "plan.json");
  writeFileSync(planFile, JSON.stringify(plan));
  const results: SideResult[] = [];
  let net: Awaited<ReturnType<typeof stormNet>> | undefined;
  let stack: Stack | undefined;
  let cleaning: Promise<void> | undefined;
  // Once: a signal's cleanup and the `finally` of the step it cut short share it.
  const cleanup = () => (cleaning ??= removeAll());
  const removeAll = async () => {
    await stack?.stop();
    await net?.remove();
    // ENFORCER_STORM_KEEP=1 keeps the logs (enforcer.log, dnsmasq.log, nginx's) to look at a failure.
    if (process.env.ENFORCER_STORM_KEEP === "1") console.log(`  kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C or a kill skips `finally`: bench/children.ts stops every process first (the client too: in a
  // namespace of its own, it outlives `ip netns del` while it runs), then the namespaces and files go.
  const forget = onStopSignal(cleanup);
  try {
    net = await stormNet(plan);
    const n = net;
    const sides = [
      (r: number) => startEnforcer(n.serverNs, join(dir, `enforcer-${r}`), root, plan),
      (r: number) => startClassic(n.serverNs, join(dir, `classic-${r}`), root, n.serverIf, plan),
    ];
    for (let r = 0; r < o.rounds; r++) {
      for (const start of r % 2 === 0 ? sides : [...sides].reverse()) {
        mkdirSync(join(dir, `enforcer-${r}`), { recursive: true });
        mkdirSync(join(dir, `classic-${r}`), { recursive: true });
        stack = await start(r);
        const side = await runSide(stack, n.clientNs, planFile);
        await stack.stop();
        stack = undefined;
        results.push(side);
        const failed = side.client.machines.filter((m) => m.failedAt).length;
        console.log(
          `  round ${r + 1}: ${side.side}: ${(side.client.totalMs / 1000).toFixed(1)} s, ${failed} failed`,
        );
      }
    }
  } finally {
    await cleanup();
    forget();
  }
  return summarize(o, plan, results);
}
