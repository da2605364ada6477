import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEnforcer, type EnforcerProcess } from "./enforcer-process.js";

/** One Enforcer instance of a cluster: the process, and a restart on its own data directory. */
export type ClusterInstance = EnforcerProcess & { tftpPort?: number };

/** Several Enforcer processes sharing one etcd store, each with its own data directory and ports. */
export interface EnforcerCluster {
  instances: ClusterInstance[];
  /** The admin token every instance accepts (the store holds the tokens). */
  token: string;
  /** SIGKILL of instance `i`, as a crash: resolves when the process is gone. */
  kill: (i: number) => Promise<void>;
  /** Stops every instance still running and removes the data directories. */
  stop: () => Promise<void>;
}

/**
 * Starts `n` instances on `storeUrl` (etcd://…). The first one starts alone and writes the initial admin
 * token into the shared store (and its admin.token file); the others then find tokens in the store and make
 * none. The test gives them the first one's session.secret and power.key before they start, as an operator copies it to
 * each host (every instance must derive the same discovery keys: docs/store.md), and its admin.token file,
 * for the test's own use.
 */
export async function startEnforcerCluster(
  storeUrl: string,
  n = 3,
  opts: { publicHost?: string; tftp?: boolean; extraArgs?: string[] } = {},
): Promise<EnforcerCluster> {
  const dirs: string[] = [];
  const instances: ClusterInstance[] = [];
  const running = (e: ClusterInstance) => e.child.exitCode === null && e.child.signalCode === null;
  const stop = async () => {
    // (a killed instance's stop() would wait for an exit that already happened)
    await Promise.all(instances.filter(running).map((i) => i.stop()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  const args = ["--store", storeUrl, ...(opts.extraArgs ?? [])];
  const startOne = async (prepare?: (dir: string) => void) => {
    const data = mkdtempSync(join(tmpdir(), "enforcer-cluster-"));
    dirs.push(data);
    prepare?.(data);
    const e = await startEnforcer(args, { data, publicHost: opts.publicHost, tftp: opts.tftp });
    instances.push(e);
    return e;
  };
  try {
    const first = await startOne();
    const others = await Promise.all(
      Array.from({ length: n - 1 }, () =>
        startOne((dir) => {
          writeFileSync(join(dir, "admin.token"), `${first.token}\n`, { mode: 0o600 });
          for (const f of ["session.secret", "power.key"]) copyFileSync(join(first.data, f), join(dir, f));
        }),
      ),
    );
    // Instances in start order: A is the one that made the token.
    instances.splice(0, instances.length, first, ...others);
    const kill = (i: number) =>
      new Promise<void>((res) => {
        const e = instances[i]!;
        if (!running(e)) return res();
        e.child.once("exit", () => res());
        e.child.kill("SIGKILL");
      });
    return { instances, token: first.token, kill, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
