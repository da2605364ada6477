import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { UsageError } from "../output.js";

/**
 * `enforcer agent`: runs the shipped POSIX agent (on-machine/shell/enforcer-agent.sh) on this host against an
 * Enforcer. It stays in cli/: like the client commands it only talks to the API (through the script).
 */
export function registerAgent(program: Command): void {
  program
    .command("agent")
    .description("run the agent on this host (needs an agent-role token)")
    .option("--url <url>", "the Enforcer to report to (or ENFORCER_URL; default http://127.0.0.1:8080)")
    .option("--token <token>", "an agent token (or ENFORCER_TOKEN)")
    // optsWithGlobals: the program takes --url and --token too (ahead of any command), and commander files a
    // flag under the program when both know it, wherever it was written.
    .action((_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ url?: string; token?: string }>();
      return runShellAgent(o.url, o.token);
    });
}

function runShellAgent(url: string | undefined, flagToken: string | undefined): Promise<void> {
  const token = flagToken ?? process.env.ENFORCER_TOKEN;
  if (!token) throw new UsageError("enforcer agent needs an agent token: --token or ENFORCER_TOKEN");
  const script = fileURLToPath(new URL("../../../../on-machine/shell/enforcer-agent.sh", import.meta.url));
  const child = spawn("sh", [script], {
    stdio: "inherit",
    env: {
      ...process.env,
      ENFORCER_URL: url ?? process.env.ENFORCER_URL ?? "http://127.0.0.1:8080",
      ENFORCER_KEY: token,
    },
  });
  process.once("SIGTERM", () => child.kill("SIGTERM"));
  process.once("SIGINT", () => child.kill("SIGINT"));
  return new Promise((res) => child.on("exit", (code) => ((process.exitCode = code ?? 1), res())));
}
