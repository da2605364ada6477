import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { freePort } from "./enforcer-process.js";

/** One etcd member on loopback: its client URL, and kill/restart of its own process on the same data. */
export interface EtcdMember {
  name: string;
  clientUrl: string;
  /** The member's process id while it runs. */
  pid: () => number | undefined;
  /** SIGKILL, as a crash: resolves when the process is gone. */
  kill: () => Promise<void>;
  /** Starts the member again on its data directory and waits until it answers /health. */
  restart: () => Promise<void>;
}

/** A running etcd cluster of one or more members on free loopback ports. */
export interface EtcdCluster {
  members: EtcdMember[];
  /** Every member's client URL, comma separated, as `--store etcd://…` takes it (host:port,host:port). */
  endpoints: string;
  /** `etcd://h:p,h:p,…` for `--store`. */
  storeUrl: string;
  /** The index of the member that leads the cluster now (asked of the first member that answers). */
  leader: () => Promise<number>;
  /** Stops every member and removes the data directories. */
  stop: () => Promise<void>;
}

// Members a test started; killed when the file's tests end even if a test failed before its stop().
const live = new Set<ChildProcess>();
if (process.env.NODE_TEST_CONTEXT)
  after(() => {
    for (const c of live) c.kill("SIGKILL");
  });

/** Fails with one clear line when etcd is not installed (the tests never skip silently). */
function requireEtcd(): void {
  const r = spawnSync("etcd", ["--version"], { encoding: "utf8" });
  if (r.status !== 0)
    throw new Error("etcd is missing: install Debian's etcd-server (scripts/ensure-peers.sh does)");
}

/** Starts `n` etcd members (3.4, one data directory each under one temp dir) and waits until all are healthy. */
export async function startEtcdCluster(n = 3): Promise<EtcdCluster> {
  requireEtcd();
  const root = mkdtempSync(join(tmpdir(), "enforcer-etcd-"));
  const ports = [];
  for (let i = 0; i < n; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const initial = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peer}`).join(",");
  const members: (EtcdMember & { stopNow: () => Promise<void> })[] = [];
  for (let i = 0; i < n; i++) {
    const { client, peer } = ports[i]!;
    const name = `m${i}`;
    const clientUrl = `http://127.0.0.1:${client}`;
    // prettier-ignore
    const args = [
      "--name", name, "--data-dir", join(root, name), "--logger=zap", "--log-level", "error",
      "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
      "--listen-peer-urls", `http://127.0.0.1:${peer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${peer}`,
      "--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", root,
      // No metrics listener: it would need one more free port each.
      "--heartbeat-interval", "100", "--election-timeout", "1000",
    ];
    let child: ChildProcess | undefined;
    let out = "";
    const start = () => {
      const c = spawn("etcd", args, { stdio: ["ignore", "pipe", "pipe"] });
      live.add(c);
      c.once("exit", () => live.delete(c));
      c.stdout!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
      c.stderr!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
      child = c;
    };
    const gone = (sig: NodeJS.Signals) =>
      new Promise<void>((res) => {
        const c = child;
        if (!c || c.exitCode !== null || c.signalCode !== null) return res();
        c.once("exit", () => res());
        c.kill(sig);
      });
    start();
    members.push({
      name,
      clientUrl,
      pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
      kill: () => gone("SIGKILL"),
      restart: async () => {
        await gone("SIGKILL");
        start();
        await waitHealthy(clientUrl, () => out, false);
      },
      stopNow: () => gone("SIGTERM"),
    });
  }
  const stop = async () => {
    await Promise.all(members.map((m) => m.stopNow()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    // A member answers /health true only once the cluster has a leader.
    for (const m of members) await waitHealthy(m.clientUrl, () => "", true);
  } catch (err) {
    await stop();
    throw err;
  }
  const endpoints = members.map((m) => m.clientUrl.replace("http://", "")).join(",");
  const leader = async () => {
    // etcd's JSON gateway: each member's status names its own id and the leader's.
    const ids: string[] = [];
    let lead: string | undefined;
    for (const m of members) {
      const r = await fetch(`${m.clientUrl}/v3/maintenance/status`, { method: "POST", body: "{}" });
      const s = (await r.json()) as { header: { member_id: string }; leader: string };
      ids.push(s.header.member_id);
      lead = s.leader;
    }
    const i = ids.indexOf(lead!);
    if (i < 0) throw new Error(`no member is the leader ${lead}`);
    return i;
  };
  return { members, endpoints, storeUrl: `etcd://${endpoints}`, leader, stop };
}

/** Waits until the member at `url` answers; with `leader`, until it reports a healthy cluster (has a leader). */
async function waitHealthy(url: string, logs: () => string, leader: boolean): Promise<void> {
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await r.json()) as { health?: string };
      if (!leader || body.health === "true") return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`etcd at ${url} did not become healthy:\n${logs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
