// The TFTP servers the TFTP bench measures, each started on a free high port of 127.0.0.1 over one directory.
import { spawnSync, type ChildProcess } from "node:child_process";
import { spawnChild } from "./children.js";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { freePort, freeUdpPort } from "../test/support/enforcer-process.js";
import { untilLine } from "./ready-line.js";

/** Where scripts/ensure-peers.sh unpacks Debian's atftpd (its package conflicts with tftpd-hpa's). */
const ATFTPD_UNPACKED = "/var/cache/enforcer-peers/atftpd/usr/sbin/atftpd";

/** The servers of one run, by name, and how to stop every one of them. */
export interface TftpPeers {
  ports: { enforcer: number; responder: number; hpa: number; atftpd: number };
  /** Stops every server started so far (also after a failed start). */
  stop(): Promise<void>;
}

/** atftpd: `ENFORCER_ATFTPD`, else the copy ensure-peers.sh unpacked, else the `atftpd` package's. */
function atftpdPath(): string {
  const candidates = [process.env.ENFORCER_ATFTPD, ATFTPD_UNPACKED, "/usr/sbin/atftpd"];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found)
    throw new Error(
      `the TFTP bench needs atftpd: run \`bash scripts/ensure-peers.sh bench\` as root (it unpacks Debian's atftpd to ${ATFTPD_UNPACKED}) or set ENFORCER_ATFTPD`,
    );
  return found;
}

/** Fails with one line when a client or server the bench runs is missing. */
function need(tools: string[]): void {
  const missing = tools.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
  if (missing.length > 0)
    throw new Error(`the TFTP bench needs ${missing.join(", ")}: run \`bash scripts/ensure-peers.sh bench\``);
}

/**
 * Starts Enforcer (`serve --tftp-root dir`), the minimal Node responder (bench/tftp-responder.ts), tftpd-hpa
 * and atftpd. Every child is stopped by `stop()`, and by this function itself when a later start fails: a
 * missing tool never leaves servers running.
 */
export async function startTftpPeers(dir: string): Promise<TftpPeers> {
  need(["in.tftpd", "atftp", "curl"]);
  const atftpd = atftpdPath();
  const children: ChildProcess[] = [];
  const stop = async () => {
    const exits = children
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map((c) => new Promise((r) => c.once("exit", r)));
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(exits);
  };
  const started = (c: ChildProcess) => {
    children.push(c);
    c.on("error", () => {}); // a failed spawn shows as a failed ready wait below
    return c;
  };
  try {
    const ports = {
      enforcer: await freeUdpPort(),
      responder: await freeUdpPort(),
      hpa: await freeUdpPort(),
      atftpd: await freeUdpPort(),
    };
    // in.tftpd (and atftpd, when root) drop to an unprivileged user: the files are world-readable.
    started(spawnChild("in.tftpd", ["-L", "-a", `127.0.0.1:${ports.hpa}`, "-s", dir], { stdio: "ignore" }));
    started(
      spawnChild(
        atftpd,
        ["--daemon", "--no-fork", "--logfile", "/dev/null", "--port", String(ports.atftpd)].concat([
          "--bind-address",
          "127.0.0.1",
          dir,
        ]),
        { stdio: "ignore" },
      ),
    );
    const responder = started(
      spawnChild(process.execPath, [resolve("dist/bench/tftp-responder.js"), String(ports.responder), dir], {
        stdio: ["ignore", "pipe", "inherit"],
      }),
    );
    const enforcer = started(
      spawnChild(
        process.execPath,
        [resolve("bin/enforcer.js"), "serve", "--data", join(dir, "..", "data"), "--listen", "127.0.0.1"]
          .concat(["--http-port", String(await freePort()), "--tftp-port", String(ports.enforcer)])
          .concat(["--tftp-root", dir, "--log-level", "warn"]),
        { stdio: ["ignore", "pipe", "inherit"] },
      ),
    );
    await untilLine(responder, "ready");
    await untilLine(enforcer);
    await new Promise((r) => setTimeout(r, 300)); // in.tftpd and atftpd have no ready signal
    for (const c of children)
      if (c.exitCode !== null) throw new Error(`${c.spawnfile} exited (${c.exitCode}) at start`);
    return { ports, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
