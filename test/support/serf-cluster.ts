import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "./enforcer-process.js";

/** One real `serf agent` (Debian's package) on loopback. */
export interface SerfNode {
  name: string;
  bind: number;
  rpc: number;
  child: ChildProcess;
  logs: () => string;
  kill: () => Promise<void>;
}

/** What a node runs with: tags, handlers from on-machine/serf/, extra environment and config. */
export interface SerfNodeSpec {
  name: string;
  tags?: Record<string, string>;
  handlers?: string[];
  env?: Record<string, string>;
  config?: Record<string, unknown>;
}

/** Starts agents and joins them into one cluster; their RPC answers within a second. */
export async function startSerfCluster(specs: SerfNodeSpec[]): Promise<SerfNode[]> {
  const nodes: SerfNode[] = [];
  for (const spec of specs) nodes.push(await startNode(spec, nodes[0]?.bind));
  return nodes;
}

async function startNode(spec: SerfNodeSpec, joinPort: number | undefined): Promise<SerfNode> {
  const bind = await freePort();
  const rpc = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `serf-${spec.name}-`));
  const args = [
    "agent",
    `-node=${spec.name}`,
    `-bind=127.0.0.1:${bind}`,
    `-rpc-addr=127.0.0.1:${rpc}`,
    "-log-level=debug",
  ];
  for (const [k, v] of Object.entries(spec.tags ?? {})) args.push("-tag", `${k}=${v}`);
  for (const h of spec.handlers ?? []) {
    const [filter, script] = h.split("=");
    // Shipped handlers by name (on-machine/serf/), or a test's own script by absolute path.
    args.push(
      "-event-handler",
      `${filter}=${script!.startsWith("/") ? script : resolve("on-machine/serf", script!)}`,
    );
  }
  if (joinPort) args.push(`-join=127.0.0.1:${joinPort}`);
  if (spec.config) {
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec.config));
    args.push(`-config-file=${join(dir, "config.json")}`);
  }
  const child = spawn("serf", args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...spec.env },
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`serf ${spec.name} did not start:\n${out}`)), 10_000);
    const check = () => {
      if (out.includes("Serf agent running")) {
        clearTimeout(timer);
        res();
      }
    };
    child.stdout!.on("data", check);
    child.on("exit", (code) => rej(new Error(`serf ${spec.name} exited ${code}:\n${out}`)));
  });
  return {
    name: spec.name,
    bind,
    rpc,
    child,
    logs: () => out,
    kill: () =>
      new Promise((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once("exit", () => res());
        child.kill("SIGKILL");
      }),
  };
}
