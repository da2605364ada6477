import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createSocket } from "node:dgram";
import { apiCaller, type EnforcerProcess } from "./enforcer-process.js";
import { podman, podmanOk, ULIMITS } from "./podman.js";
import { until } from "./until.js";

/** Names of what one test run made in podman, each unique to the run, for its cleanup. */
export interface ContainerRun {
  image: string;
  container: string;
  volume: string;
  serfImage: string;
  serfContainer: string;
}

/** Names for this run's image, container and volume (the process id keeps parallel runs apart). */
export function containerRun(): ContainerRun {
  const id = `${process.pid}-${Date.now().toString(36)}`;
  return {
    image: `localhost/enforcer-test:${id}`,
    container: `enforcer-test-${id}`,
    volume: `enforcer-test-data-${id}`,
    serfImage: `localhost/enforcer-test-serf:${id}`,
    serfContainer: `enforcer-test-serf-${id}`,
  };
}

/** Removes the run's containers, volume and images; each may not exist (a failed build made none). */
export async function removeRun(run: ContainerRun): Promise<void> {
  await podman(["rm", "-f", "-t", "0", run.container, run.serfContainer]);
  await podman(["volume", "rm", "-f", run.volume]);
  await podman(["rmi", "-f", run.image, run.serfImage]);
}

/** `podman build` as both builds run it: Docker format (keeps HEALTHCHECK), no layer cache, no leftovers. */
const BUILD = ["build", "--format", "docker", "--layers=false", "--force-rm", ...ULIMITS];

/**
 * Builds the repository's Dockerfile on `base` (build stage) and `runtimeBase` as `run.image`. `npm ci` in the build stage reads this
 * machine's npm cache (mounted, --prefer-offline): the registry is asked only for what the cache lacks.
 * No layer cache (--layers=false): every run builds from the sources, and leaves no intermediate images.
 */
export async function buildImage(run: ContainerRun, base: string, runtimeBase: string): Promise<void> {
  const cache = execFileSync("npm", ["config", "get", "cache"], { encoding: "utf8" }).trim();
  const args = [...BUILD, "--network", "host"];
  if (existsSync(cache)) args.push("--volume", `${cache}:/root/.npm`);
  args.push(
    "--build-arg",
    `BASE=${base}`,
    "--build-arg",
    `RUNTIME_BASE=${runtimeBase}`,
    "--tag",
    run.image,
    ".",
  );
  await podmanOk(args, 600_000);
}

/** Builds the Dockerfile's `serf` stage (compose.yaml's serf service) on `serfBase` as `run.serfImage`. */
export async function buildSerfImage(run: ContainerRun, serfBase: string): Promise<void> {
  await podmanOk(
    [...BUILD, "--target", "serf", "--build-arg", `SERF_BASE=${serfBase}`, "--tag", run.serfImage, "."],
    300_000,
  );
}

/** A UDP port below 1024 that was free a moment ago on 127.0.0.1 (the test runs as root, as CI does). */
export async function freePrivilegedUdpPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 600 + Math.floor(Math.random() * 400);
    const ok = await new Promise<boolean>((res) => {
      const s = createSocket("udp4");
      s.once("error", () => res(false));
      s.bind(port, "127.0.0.1", () => s.close(() => res(true)));
    });
    if (ok) return port;
  }
  throw new Error("no free UDP port below 1024 on 127.0.0.1 (the container test runs as root)");
}

/** The container's output so far (podman keeps it across restarts). */
export async function containerLogs(run: ContainerRun): Promise<string> {
  const r = await podman(["logs", run.container]);
  return r.stdout + r.stderr;
}

/** Waits until the container has printed its ready line `times` times (once more after each restart). */
export async function waitReady(run: ContainerRun, times: number): Promise<void> {
  const count = (s: string) => s.split("enforcer: ready").length - 1;
  await until(
    `ready line #${times} from ${run.container}`,
    async () => {
      const logs = await containerLogs(run);
      const state = (await podman(["inspect", "--format", "{{.State.Status}}", run.container])).stdout.trim();
      if (state === "exited") throw new Error(`the container exited:\n${logs.slice(-3000)}`);
      return count(logs) >= times ? true : undefined;
    },
    60_000,
    300,
  );
}

/**
 * Starts the image on the host network (as DHCP and TFTP need it), data on a named volume, settings from
 * ENFORCER_* variables. The health check's timer is left off: podman runs it through systemd, which CI lacks;
 * the test runs it with `podman healthcheck run` instead.
 */
export async function startContainer(
  run: ContainerRun,
  env: Record<string, string>,
): Promise<Pick<EnforcerProcess, "api" | "base" | "token" | "port">> {
  const args = ["run", "-d", "--name", run.container, "--network", "host", ...ULIMITS];
  args.push("--volume", `${run.volume}:/var/lib/enforcer`, "--health-interval", "disable");
  for (const [k, v] of Object.entries(env)) args.push("--env", `${k}=${v}`);
  await podmanOk([...args, run.image]);
  await waitReady(run, 1);
  const token = (await podmanOk(["exec", run.container, "cat", "/var/lib/enforcer/admin.token"])).trim();
  const port = Number(env.ENFORCER_HTTP_PORT);
  const base = `http://127.0.0.1:${port}`;
  return { api: apiCaller(base, token), base, token, port };
}

/** The process id, as the host sees it, of the container's main process. */
export async function mainPid(run: ContainerRun): Promise<number> {
  return Number((await podmanOk(["inspect", "--format", "{{.State.Pid}}", run.container])).trim());
}
