import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after } from "node:test";

/** A running `enforcer serve` child process and a small JSON client for its API. */
export interface EnforcerProcess {
  port: number;
  base: string;
  /** The initial admin token. */
  token: string;
  data: string;
  child: ChildProcess;
  logs: () => string;
  api: <T = unknown>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>;
  stop: () => Promise<number | null>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on("error", rej);
  });
}

/** A UDP port that was free a moment ago on 127.0.0.1. */
export function freeUdpPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createSocket("udp4");
    s.bind(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => res(port));
    });
    s.on("error", rej);
  });
}

/**
 * Servers a test started and has not stopped. A test whose assertion fails before its `stop()` would leave its
 * server running, and the server's pipes keep the test file alive: the file hung instead of failing. Every
 * file that starts one stops what is left when its tests end.
 */
const live = new Set<ChildProcess>();
// Only under the test runner (it sets NODE_TEST_CONTEXT in each file's process): the benchmarks import this
// module too, and a hook there would start a test run of its own and print TAP into their tables.
if (process.env.NODE_TEST_CONTEXT)
  after(() => {
    for (const c of live) c.kill("SIGKILL");
  });

/** Starts the real binary on loopback and waits for its ready line; TFTP only when asked, on a high port. */
export async function startEnforcer(
  extraArgs: string[] = [],
  opts: {
    data?: string;
    publicHost?: string;
    tftp?: boolean;
    /** The Node to run it with, as a command (e.g. qemu-user and an arm64 node); this test's own by default. */
    node?: readonly string[];
    readyTimeoutMs?: number;
  } = {},
): Promise<EnforcerProcess & { tftpPort?: number }> {
  const port = await freePort();
  const tftpPort = opts.tftp ? await freeUdpPort() : undefined;
  const data = opts.data ?? mkdtempSync(join(tmpdir(), "enforcer-test-"));
  const publicUrl = `http://${opts.publicHost ?? "127.0.0.1"}:${port}`;
  const bin = resolve("bin/enforcer.js");
  const args = [bin, "serve", "--listen", "127.0.0.1", "--http-port", String(port), "--data", data];
  args.push("--public-url", publicUrl, "--log-level", "warn", ...extraArgs);
  // Tests' profiles name mirrors that do not exist (http://m/…) or the internet's: arming must not fetch
  // them. The asset cache's own tests turn it on with --asset-cache-size.
  if (!extraArgs.includes("--asset-cache-size")) args.push("--asset-cache-size", "0");
  args.push(...(tftpPort ? ["--tftp-port", String(tftpPort)] : ["--no-tftp"]));
  const [cmd, ...prefix] = opts.node ?? [process.execPath];
  const child = spawn(cmd!, [...prefix, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  child.once("exit", () => live.delete(child));
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`enforcer did not start:\n${out}`)),
      opts.readyTimeoutMs ?? 15_000,
    );
    const check = () => {
      if (out.includes("enforcer: ready")) {
        clearTimeout(timer);
        res();
      }
    };
    child.stdout!.on("data", check);
    child.on("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`enforcer exited ${code}:\n${out}`));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  // The first start writes the initial admin token; a restart on the same data keeps the old one.
  const token = readFileSync(join(data, "admin.token"), "utf8").trim();
  const proc: EnforcerProcess & { tftpPort?: number } = {
    port,
    tftpPort,
    token,
    base,
    data,
    child,
    logs: () => out,
    api: apiCaller(base, token),
    stop: () =>
      new Promise((res) => {
        if (child.exitCode !== null) return res(child.exitCode);
        child.once("exit", (code) => res(code));
        child.kill("SIGTERM");
      }),
  };
  return proc;
}

/** Calls the API of the Enforcer at `base` with `token`, answering the status and the parsed body. */
export function apiCaller(base: string, token: string): EnforcerProcess["api"] {
  return async (method, path, body) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}
