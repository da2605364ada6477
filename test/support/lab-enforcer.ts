import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { apiCaller, type EnforcerProcess } from "./enforcer-process.js";
import type { L2Lab, LabProcess } from "./l2-lab.js";
import { until } from "./until.js";

/** The lab's HTTP port for Enforcer (the namespace is the lab's own: no clash with anything). */
const HTTP_PORT = 8080;

// The test runs outside the lab's namespaces, so it cannot reach Enforcer's lab address. A Unix socket can
// cross namespaces: a small forwarder inside the enforcer namespace listens on one and connects to the lab
// address; the test listens on 127.0.0.1 and pipes to the socket. The existing API helpers then work as is.
const FORWARDER = `
const net = require("node:net");
const [sock, host, port] = process.argv.slice(1);
net.createServer((c) => {
  const u = net.connect(Number(port), host);
  c.pipe(u).pipe(c);
  c.on("error", () => u.destroy());
  u.on("error", () => c.destroy());
}).listen(sock, () => console.log("forwarding"));
`;

/** The 127.0.0.1 side; `close` also ends open (keep-alive) connections, which would hold the server open. */
function hostSide(sock: string): Promise<{ server: Server; close: () => Promise<void> }> {
  const open = new Set<Socket>();
  return new Promise((res, rej) => {
    const s = createServer((c) => {
      open.add(c);
      c.on("close", () => open.delete(c));
      const u = connect(sock);
      c.pipe(u).pipe(c);
      c.on("error", () => u.destroy());
      u.on("error", () => c.destroy());
    });
    const close = () =>
      new Promise<void>((r) => {
        s.close(() => r());
        for (const c of open) c.destroy();
      });
    s.listen(0, "127.0.0.1", () => res({ server: s, close }));
    s.on("error", rej);
  });
}

/** Where an Enforcer runs in the lab: its namespace, its address there, and a name for its data and logs. */
export interface LabSeat {
  ns: string;
  address: string;
  name: string;
}

/** Enforcer running in the lab's enforcer namespace, with the API reachable from the test. */
export interface LabEnforcer extends EnforcerProcess {
  /** The URL machines on the lab use (`http://<enforcer address>:8080`). */
  labUrl: string;
  process: LabProcess;
}

/**
 * Starts `bin/enforcer.js serve` inside the enforcer namespace on the lab address: HTTP on 8080, TFTP on
 * port 69 (firmware knows no other) serving `tftpRoot` and Debian's iPXE loaders. Waits for its ready line.
 */
export async function startLabEnforcer(
  lab: L2Lab,
  tftpRoot: string,
  extra: string[] = [],
  at: LabSeat = { ns: lab.ns.enforcer, address: lab.enforcerAddress, name: "enforcer" },
): Promise<LabEnforcer> {
  const data = join(lab.dir, `${at.name}-data`);
  mkdirSync(data, { recursive: true });
  const labUrl = `http://${at.address}:${HTTP_PORT}`;
  // prettier-ignore
  const args = [
    resolve("bin/enforcer.js"), "serve", "--listen", at.address, "--http-port", String(HTTP_PORT),
    "--data", data, "--public-url", labUrl, "--tftp-root", tftpRoot, "--log-level", "info", ...extra,
  ];
  const proc = lab.spawnIn(at.ns, at.name, process.execPath, args);
  await until(
    "enforcer in the lab to be ready",
    async () => {
      if (proc.child.exitCode !== null)
        throw new Error(`enforcer exited ${proc.child.exitCode}:\n${proc.output()}`);
      return proc.output().includes("enforcer: ready") ? true : undefined;
    },
    15_000,
    50,
  );
  const sock = join(lab.dir, at.name === "enforcer" ? "api.sock" : `${at.name}-api.sock`);
  // A stopped Enforcer's forwarder leaves its socket file behind: a second Enforcer in the lab reuses the path.
  rmSync(sock, { force: true });
  const fwd = lab.spawnIn(
    at.ns,
    at.name === "enforcer" ? "api-forwarder" : `${at.name}-api-forwarder`,
    process.execPath,
    ["-e", FORWARDER, sock, at.address, String(HTTP_PORT)],
  );
  await until(
    "the API forwarder",
    async () => (fwd.output().includes("forwarding") ? true : undefined),
    10_000,
    50,
  );
  const host = await hostSide(sock);
  const port = (host.server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;
  const token = readFileSync(join(data, "admin.token"), "utf8").trim();
  return {
    port,
    base,
    token,
    data,
    child: proc.child,
    logs: proc.output,
    labUrl,
    process: proc,
    api: apiCaller(base, token),
    stop: async () => {
      await host.close();
      await fwd.stop();
      await proc.stop();
      return proc.child.exitCode;
    },
  };
}
