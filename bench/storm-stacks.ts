// The two stacks the storm boots from, each started in the server namespace on the same address and ports
// (67, 4011, 69; HTTP), one after the other: Enforcer with --dhcp proxy, and dnsmasq (proxyDHCP + TFTP) with nginx.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { LOADER, writeClassicScripts } from "./storm-files.js";
import { NET, type StormPlan } from "./storm-plan.js";
import { childPids, startStormProc, waitReady, type StormProc } from "./storm-procs.js";
import { seedEnforcer } from "./storm-seed.js";

/** A running stack: its processes (to sample and stop) and a name for the tables. */
export interface Stack {
  name: string;
  /** Every PID that counts for its RSS and CPU (nginx's workers included). */
  pids(): number[];
  procs: StormProc[];
  stop(): Promise<void>;
}

const ENFORCER_PORT = 8080;

/** ENFORCER_STORM_PROF=DIR: Enforcer writes a V8 CPU profile of its storm there (it changes the timings). */
function profile(): string[] {
  const dir = process.env.ENFORCER_STORM_PROF;
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${resolve(dir)}`] : [];
}

/** Enforcer as production starts it (bin/enforcer.js's V8 flag), proxyDHCP on, serving `root` over TFTP and HTTP. */
export async function startEnforcer(ns: string, dir: string, root: string, plan: StormPlan): Promise<Stack> {
  const url = `http://${NET.server}:${ENFORCER_PORT}`;
  const data = join(dir, "enforcer-data");
  mkdirSync(data, { recursive: true });
  await seedEnforcer(data, root, plan, url);
  // prettier-ignore
  const p = startStormProc("enforcer", ns, [
    process.execPath, "--max-semi-space-size=1", ...profile(), resolve("bin/enforcer.js"), "serve",
    "--listen", NET.server, "--http-port", String(ENFORCER_PORT), "--public-url", url,
    // Its defaults: 1,024 transfers, and a request on a full server goes unanswered until the client asks again.
    "--data", data, "--tftp-root", root, "--dhcp", "proxy",
  ], join(dir, "enforcer.log"));
  const stack: Stack = { name: "Enforcer", procs: [p], pids: () => [p.child.pid!], stop: () => p.stop() };
  try {
    await waitReady(p, "enforcer: ready");
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

/** nginx's configuration: stock settings (auto workers, sendfile, access log), root `root`, on port 80. */
function nginxConf(dir: string, root: string): string {
  return `daemon off;
master_process on;
worker_processes auto;
user root;
pid ${dir}/nginx.pid;
error_log stderr;
events { worker_connections 4096; }
http {
  types { text/plain ipxe; }
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  access_log ${dir}/nginx-access.log;
  client_body_temp_path ${dir}/nginx-tmp/body;
  proxy_temp_path ${dir}/nginx-tmp/proxy;
  fastcgi_temp_path ${dir}/nginx-tmp/fastcgi;
  uwsgi_temp_path ${dir}/nginx-tmp/uwsgi;
  scgi_temp_path ${dir}/nginx-tmp/scgi;
  server {
    listen ${NET.server}:80;
    root ${root};
  }
}
`;
}

/** Waits for nginx's workers: the master forks them after it has bound its sockets. */
async function nginxWorkers(nginx: StormProc): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (nginx.child.exitCode !== null)
      throw new Error(`nginx exited ${nginx.child.exitCode}:\n${nginx.output()}`);
    if (childPids(nginx.child.pid!).length > 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx started no workers in 10 s:\n${nginx.output()}`);
}

/**
 * The classic stack: dnsmasq's proxyDHCP with its own TFTP (UEFI firmware gets the loader, iPXE, told
 * apart by option 175, gets boot.ipxe over HTTP; --tftp-max raised from its 50 so 1,000 machines are not
 * refused, as a site booting a rack would set it) and nginx serving the same files and static scripts.
 */
export async function startClassic(
  ns: string,
  dir: string,
  root: string,
  iface: string,
  plan: StormPlan,
): Promise<Stack> {
  const base = `http://${NET.server}`;
  writeClassicScripts(root, plan, base);
  mkdirSync(join(dir, "nginx-tmp"), { recursive: true });
  writeFileSync(join(dir, "nginx.conf"), nginxConf(dir, root));
  // prettier-ignore
  const dnsmasq = startStormProc("dnsmasq", ns, [
    "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", `--interface=${iface}`, "--bind-interfaces",
    "--log-facility=-", "--pid-file=", `--dhcp-range=${NET.server},proxy`,
    `--pxe-service=tag:!ipxe,x86-64_EFI,Storm,${LOADER}`, "--dhcp-match=set:ipxe,175",
    `--dhcp-boot=tag:ipxe,${base}/boot.ipxe`, "--enable-tftp", `--tftp-root=${root}`,
    `--tftp-max=${Math.max(50, plan.machines.length)}`,
  ], join(dir, "dnsmasq.log"));
  const nginx = startStormProc(
    "nginx",
    ns,
    ["nginx", "-c", join(dir, "nginx.conf"), "-e", "stderr"],
    join(dir, "nginx.log"),
  );
  const stack: Stack = {
    name: "dnsmasq + nginx",
    procs: [dnsmasq, nginx],
    pids: () => [dnsmasq.child.pid!, nginx.child.pid!, ...childPids(nginx.child.pid!)],
    stop: async () => {
      await dnsmasq.stop();
      await nginx.stop();
    },
  };
  try {
    await waitReady(dnsmasq, /TFTP root is/);
    await nginxWorkers(nginx);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}
