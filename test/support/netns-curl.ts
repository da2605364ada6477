// Reaching a server inside a network namespace with curl run in a namespace (`ip netns exec`): the API over
// HTTP and files over TFTP, as a machine on that link would. The test itself stays in the host namespace.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Runs `cmd` in namespace `ns`. */
export function inNs(ns: string, cmd: string[], timeout = 30_000) {
  return run("ip", ["netns", "exec", ns, ...cmd], { timeout });
}

/** Calls the API of the Enforcer listening on `base` (as seen from `ns`) with `token`. */
export function nsApi<T>(ns: string, base: string, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const { stdout } = await inNs(ns, [
      "curl",
      "-sS",
      "-X",
      method,
      "-w",
      "\n%{http_code}",
      "-H",
      `Authorization: Bearer ${token}`,
      ...(body === undefined ? [] : ["-H", "content-type: application/json", "--data", JSON.stringify(body)]),
      `${base}/api/v1${path}`,
    ]);
    const cut = stdout.lastIndexOf("\n");
    const text = stdout.slice(0, cut);
    return { status: Number(stdout.slice(cut + 1)), body: text ? (JSON.parse(text) as T) : (undefined as T) };
  };
}

/** A TFTP read's outcome: the bytes, or curl's exit code (68 file not found, 69 access violation). */
export type TftpOutcome = { ok: true; data: Buffer } | { ok: false; code: number; stderr: string };

/**
 * TFTP reads with curl (a real TFTP client) from `ns`, the name sent as given (`--path-as-is`: no `../`
 * folding), optionally from one interface; the files land in `dir`.
 */
export function nsTftp(ns: string, server: string, dir: string) {
  return async (name: string, iface?: string): Promise<TftpOutcome> => {
    const file = join(dir, randomBytes(4).toString("hex"));
    try {
      await inNs(ns, [
        "curl",
        "-sS",
        "--path-as-is",
        "--max-time",
        "20",
        ...(iface ? ["--interface", iface] : []),
        "-o",
        file,
        `tftp://${server}/${name}`,
      ]);
      return { ok: true, data: readFileSync(file) };
    } catch (err) {
      const e = err as { code?: number; stderr?: string };
      return { ok: false, code: e.code ?? -1, stderr: e.stderr ?? "" };
    }
  };
}
