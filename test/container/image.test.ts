// The container image (Dockerfile) built with podman from a Node 20 base image made on this machine (no image
// registry is reachable), run as users run it: host network, data on a named volume, settings from ENFORCER_*.
// A real iPXE in QEMU boots through it, a real serf agent beside it is reached, and its data survives a restart.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { localBase } from "../support/container-base.js";
import {
  buildImage,
  buildSerfImage,
  containerLogs,
  containerRun,
  freePrivilegedUdpPort,
  mainPid,
  removeRun,
  startContainer,
  waitReady,
} from "../support/enforcer-container.js";
import { freePort, type EnforcerProcess } from "../support/enforcer-process.js";
import { linuxFixture } from "../support/linux-fixture.js";
import { podman, podmanMissing, podmanOk, ULIMITS } from "../support/podman.js";
import { runVm } from "../support/qemu.js";
import { startSerfCluster, type SerfNode } from "../support/serf-cluster.js";
import { serveFiles } from "../support/static-files.js";
import { armTestLinux } from "../support/test-config.js";
import { until } from "../support/until.js";

const MAC = "52:54:00:12:34:c1";
const SERF_MAC = "52:54:00:00:00:c2";

/** compose.yaml's serf agent command, on the test's ports instead of 7946 and 7373. */
function serfCommand(bind: number, rpc: number): string[] {
  const compose = parse(readFileSync("compose.yaml", "utf8")) as {
    services: { serf: { command: string[] } };
  };
  return compose.services.serf.command.map((a) =>
    a.startsWith("-bind=")
      ? `-bind=127.0.0.1:${bind}`
      : a.startsWith("-rpc-addr=")
        ? `-rpc-addr=127.0.0.1:${rpc}`
        : a,
  );
}

describe("the container image, built and run with podman", { timeout: 900_000 }, () => {
  const run = containerRun();
  let enf: Pick<EnforcerProcess, "api" | "base" | "token" | "port">;
  let mirror: Awaited<ReturnType<typeof serveFiles>> | undefined;
  let serf: SerfNode[] = [];
  let tftpPort = 0;
  let configId = "";
  let serfAddr = "";
  let env: Record<string, string> = {};

  before(async () => {
    const missing = podmanMissing();
    if (missing) throw new Error(missing);
    const t0 = Date.now();
    const [base, debian] = [await localBase("node"), await localBase("debian")];
    const t1 = Date.now();
    await buildImage(run, base, debian);
    const size = (await podmanOk(["image", "inspect", "--format", "{{.Size}}", run.image])).trim();
    process.stderr.write(
      `container test: base image ${((t1 - t0) / 1000).toFixed(1)} s, build ${((Date.now() - t1) / 1000).toFixed(1)} s, image ${(Number(size) / 2 ** 20).toFixed(0)} MiB\n`,
    );
    // compose.yaml's serf service: the Dockerfile's serf stage, run with the compose file's command.
    await buildSerfImage(run, debian);
    const [serfBind, serfRpc] = [await freePort(), await freePort()];
    serfAddr = `127.0.0.1:${serfRpc}`;
    const serfArgs = [
      "run",
      "-d",
      "--name",
      run.serfContainer,
      "--network",
      "host",
      ...ULIMITS,
      run.serfImage,
    ];
    await podmanOk([...serfArgs, ...serfCommand(serfBind, serfRpc)]);
    await until("the serf container's agent", async () => {
      const r = await podman(["logs", run.serfContainer]);
      return (r.stdout + r.stderr).includes("Serf agent running") ? true : undefined;
    });
    // A machine's own agent on the LAN (here: on the host) joins the agent beside Enforcer.
    serf = await startSerfCluster([{ name: "member", tags: { mac: SERF_MAC } }]);
    execFileSync("serf", ["join", `-rpc-addr=127.0.0.1:${serf[0]!.rpc}`, `127.0.0.1:${serfBind}`]);
    const fx = linuxFixture();
    mirror = await serveFiles([fx.kernel, fx.initrd]);
    const httpPort = await freePort();
    tftpPort = await freePrivilegedUdpPort();
    env = {
      ENFORCER_LISTEN: "127.0.0.1",
      ENFORCER_HTTP_PORT: String(httpPort),
      ENFORCER_TFTP_PORT: String(tftpPort),
      ENFORCER_PUBLIC_URL: `http://10.0.2.2:${httpPort}`,
      ENFORCER_SERF: serfAddr,
      ENFORCER_AGENT_INTERVAL: "1",
    };
    enf = await startContainer(run, env);
  });
  after(async () => {
    await removeRun(run);
    await mirror?.close();
    await Promise.all(serf.map((n) => n.kill()));
  });

  test("node itself is the main process, as uid 1000 (not root), with CAP_NET_BIND_SERVICE alone", async () => {
    const pid = await mainPid(run);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    assert.deepEqual(cmdline, ["node", "--max-semi-space-size=1", "/app/bin/enforcer.js", "serve"]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    assert.match(status, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    assert.match(status, /^Gid:\s+1000\s+1000\s+1000\s+1000$/m);
    // 0x400 is bit 10, CAP_NET_BIND_SERVICE: the file capability on node, and nothing else.
    assert.match(status, /^CapEff:\s+0000000000000400$/m);
    // The runtime stage has node and no npm: nothing could start the server through npm.
    assert.equal(
      (await podmanOk(["exec", run.container, "sh", "-c", "command -v npm || echo none"])).trim(),
      "none",
    );
    // ...which let this non-root process take a port below 1024.
    assert.ok(tftpPort < 1024);
    assert.match(await containerLogs(run), new RegExp(`enforcer: ready http=${enf.port} tftp=${tftpPort} `));
  });

  test("the image's health check reports healthy", async () => {
    const r = await podman(["healthcheck", "run", run.container]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const status = await podmanOk(["inspect", "--format", "{{.State.Health.Status}}", run.container]);
    assert.equal(status.trim(), "healthy");
  });

  test("iPXE in QEMU boots through it: boot.ipxe over TFTP on the privileged port, then a kernel from its asset cache that completes", async () => {
    // The mirror as the container sees it (host network): arming fetches the files into the cache on the
    // volume, and the guest boots Enforcer's copies from the public URL.
    configId = await armTestLinux(enf, MAC, "container-linux", `http://127.0.0.1:${mirror!.port}`);
    const vm = await runVm({
      bootUrl: `tftp://10.0.2.2:${tftpPort}/boot.ipxe`,
      mac: MAC,
      timeoutMs: 240_000,
    });
    assert.ok(vm.output.includes("ENF-COMPLETED"), `completion failed:\n${vm.output.slice(-3000)}`);
    assert.equal((await enf.api<{ state: string }>("GET", `/configs/${configId}`)).body.state, "completed");
  });

  test("the serf agent in its own container beside it is reached over the host network: a member becomes a machine", async () => {
    const agents = await until("the serf member as a machine", async () => {
      const r = await enf.api<{ agents?: string[] }>("GET", `/machines/${SERF_MAC}`);
      return r.status === 200 && r.body.agents?.length ? r.body.agents : undefined;
    });
    assert.deepEqual(agents, [`serf:${serfAddr}`]);
  });

  test("podman restart keeps the data: token, profile, completed config, machines; the config is not served again", async () => {
    assert.ok(configId, "needs the boot test's config");
    const t0 = Date.now();
    await podmanOk(["restart", "-t", "10", run.container]);
    await waitReady(run, 2);
    const logs = await containerLogs(run);
    // node is PID 1 and handles SIGTERM itself: a clean stop, well before podman's 10 s would SIGKILL it.
    assert.match(logs, /"signal":"SIGTERM".*"msg":"stopping"/);
    assert.ok(Date.now() - t0 < 10_000, `restart took ${Date.now() - t0} ms`);
    // The admin token was made once, on the first start; the restart read it from the volume.
    assert.equal(logs.split("first start, admin token").length - 1, 1);
    assert.equal((await enf.api("GET", "/profiles/container-linux")).status, 200);
    assert.equal((await enf.api<{ state: string }>("GET", `/configs/${configId}`)).body.state, "completed");
    assert.equal((await enf.api("GET", `/machines/${MAC}`)).status, 200);
    assert.equal((await enf.api("GET", `/machines/${SERF_MAC}`)).status, 200);
    const again = await fetch(`${enf.base}/boot/machine?mac=${MAC.replaceAll(":", "-")}`);
    assert.equal(again.status, 404);
  });

  test("a new container on the same volume (an upgrade) has the same data: the volume holds it", async () => {
    // A restart keeps the container's own files too; removing the container leaves the volume alone.
    const token = enf.token;
    await podmanOk(["rm", "-f", "-t", "10", run.container]);
    enf = await startContainer(run, env);
    assert.equal(enf.token, token);
    assert.doesNotMatch(await containerLogs(run), /first start, admin token/);
    assert.equal((await enf.api("GET", "/profiles/container-linux")).status, 200);
    assert.equal((await enf.api<{ state: string }>("GET", `/configs/${configId}`)).body.state, "completed");
    assert.equal((await enf.api("GET", `/machines/${MAC}`)).status, 200);
  });
});
