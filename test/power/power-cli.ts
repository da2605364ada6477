import { spawn } from "node:child_process";
import { resolve } from "node:path";

/** What one `enforcer` client command did. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `bin/enforcer.js` as an operator would, against the server at `base` with `token`, optionally feeding
 * `stdin`. Asynchronous on purpose: a chassis or BMC fake answers from this very process, and a sync child
 * would hold its event loop while ipmitool waits for it.
 */
export function enforcerCli(base: string, token: string, args: string[], stdin?: string): Promise<CliRun> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [resolve("bin/enforcer.js"), ...args], {
      env: { ...process.env, ENFORCER_URL: base, ENFORCER_TOKEN: token },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", rej);
    child.once("exit", (code) => res({ code, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}
