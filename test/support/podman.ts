import { spawn, spawnSync } from "node:child_process";

// podman as it works on this VM and in CI (test-peers.md, "Containers: podman"): hybrid cgroups and no
// CAP_SYS_RESOURCE, so crun and podman's default ulimits fail; runc with cgroupfs and small ulimits work.
const GLOBAL = ["--runtime", "runc", "--cgroup-manager", "cgroupfs"];

/** The ulimits every `podman run` and `podman build` here passes. */
export const ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"];

/** What one podman command printed and how it ended. */
export interface PodmanResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs podman with this machine's global flags; never throws on a non-zero exit (see `podmanOk`). */
export function podman(args: string[], timeoutMs = 120_000): Promise<PodmanResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("podman", [...GLOBAL, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs podman and answers its stdout, or throws with the command and what it printed. */
export async function podmanOk(args: string[], timeoutMs?: number): Promise<string> {
  const r = await podman(args, timeoutMs);
  if (r.code !== 0) {
    const out = `${r.stdout}\n${r.stderr}`.slice(-4000);
    throw new Error(`podman ${args.join(" ")} exited ${r.code}:\n${out}`);
  }
  return r.stdout;
}

/** One line naming what is missing when podman cannot run here, else undefined. */
export function podmanMissing(): string | undefined {
  const r = spawnSync("podman", ["--version"], { encoding: "utf8" });
  if (r.status === 0 && spawnSync("runc", ["--version"]).status === 0) return undefined;
  return "podman and runc are needed for the container test: apt-get install podman buildah runc (scripts/ensure-peers.sh)";
}
