import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One etcd member a test started on loopback: its client URL, and kill/restart by PID on the same data dir. */
export interface EtcdMember {
  name: string;
  /** `127.0.0.1:<port>`, what `--store etcd://` takes. */
  endpoint: string;
  /** `http://127.0.0.1:<port>`. */
  clientUrl: string;
  dataDir: string;
  /** The running process's PID (undefined while killed). */
  pid: () => number | undefined;
  /** SIGKILL and wait for the exit. */
  kill: () => Promise<void>;
  /** Starts it again on the same data dir and ports; resolves once it listens (it answers once it has quorum). */
  restart: () => Promise<void>;
  /** The member's output so far (for a failing test's message). */
  logs: () => string;
}

/** A cluster (or one member) a test started; `stop` kills every member and removes the temp dirs. */
export interface EtcdPeer {
  members: EtcdMember[];
  /** Every member's `host:port`, joined by commas (the `--store etcd://` list). */
  endpoints: string;
  stop: () => Promise<void>;
}

/** Extra etcd flags, for TLS or auth tests. */
export interface EtcdPeerOptions {
  /** Added to every member's command line. */
  extraArgs?: string[];
  /** `https` when extraArgs set up TLS for clients. */
  clientScheme?: "http" | "https";
}

/** A TCP port that was free a moment ago on 127.0.0.1 (etcd takes no port 0). */
export function freeTcpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on("error", rej);
  });
}

/** Fails with one clear line when etcd is not installed (tests never skip silently). */
export function requireEtcd(): void {
  const r = spawnSync("etcd", ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0)
    throw new Error("etcd is not installed: run scripts/ensure-peers.sh (Debian etcd-server 3.4)");
}

const live = new Set<ChildProcess>();
// A test that fails before its stop() must not leave etcd running (its pipes would keep the file alive).
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

/** Starts one etcd member on free loopback ports. */
export function startEtcd(opts: EtcdPeerOptions = {}): Promise<EtcdPeer> {
  return startEtcdCluster(1, opts);
}

/** Starts `size` etcd members forming one cluster on free loopback ports; resolves once every member is up. */
export async function startEtcdCluster(size: number, opts: EtcdPeerOptions = {}): Promise<EtcdPeer> {
  requireEtcd();
  const root = mkdtempSync(join(tmpdir(), "enforcer-etcd-"));
  const scheme = opts.clientScheme ?? "http";
  const specs: { name: string; client: number; peer: number }[] = [];
  for (let i = 0; i < size; i++)
    specs.push({ name: `m${i}`, client: await freeTcpPort(), peer: await freeTcpPort() });
  const initial = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peer}`).join(",");
  const members = specs.map((s) => member(s, root, initial, scheme, opts.extraArgs ?? []));
  try {
    await Promise.all(members.map((m) => m.restart()));
  } catch (err) {
    await Promise.all(members.map((m) => m.kill()));
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    members,
    endpoints: members.map((m) => m.endpoint).join(","),
    stop: async () => {
      await Promise.all(members.map((m) => m.kill()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function member(
  s: { name: string; client: number; peer: number },
  root: string,
  initialCluster: string,
  scheme: string,
  extra: string[],
): EtcdMember {
  const dataDir = join(root, s.name);
  const clientUrl = `${scheme}://127.0.0.1:${s.client}`;
  let child: ChildProcess | undefined;
  let out = "";
  const args = [
    "--name", s.name, "--data-dir", dataDir, "--logger=zap", "--log-level=error",
    "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
    "--listen-peer-urls", `http://127.0.0.1:${s.peer}`,
    "--initial-advertise-peer-urls", `http://127.0.0.1:${s.peer}`,
    "--initial-cluster", initialCluster, "--initial-cluster-token", root,
    "--listen-metrics-urls", "", ...extra,
  ]; // prettier-ignore
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((res) => c.once("exit", () => res()));
    c.kill("SIGKILL");
    await exited;
  };
  const restart = async (): Promise<void> => {
    await kill();
    const c = spawn("etcd", args, { stdio: ["ignore", "pipe", "pipe"] });
    child = c;
    live.add(c);
    c.once("exit", () => live.delete(c));
    const keep = (b: Buffer) => (out = (out + b.toString()).slice(-20_000));
    c.stdout?.on("data", keep);
    c.stderr?.on("data", keep);
    await waitListening(s.client, c, () => out);
  };
  return {
    name: s.name,
    endpoint: `127.0.0.1:${s.client}`,
    clientUrl,
    dataDir,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    kill,
    restart,
    logs: () => out,
  };
}

/** Waits until the member accepts TCP on its client port (a member of a cluster answers only with quorum). */
async function waitListening(port: number, c: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (c.exitCode !== null) throw new Error(`etcd exited (${c.exitCode}): ${logs().slice(-600)}`);
    const ok = await new Promise<boolean>((res) => {
      const sock = connect(port, "127.0.0.1");
      sock.once("connect", () => (sock.destroy(), res(true)));
      sock.once("error", () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`etcd did not listen on 127.0.0.1:${port} within 15 s: ${logs().slice(-600)}`);
}
