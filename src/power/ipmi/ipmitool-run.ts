import { execFile } from "node:child_process";

/** The most of each of ipmitool's stdout and stderr kept: a BMC cannot make us hold more. */
export const MAX_OUTPUT = 64 * 1024;

/** The last spawn's turn: spawns go one at a time, each after a turn of the event loop. */
let lastTurn: Promise<void> = Promise.resolve();

/**
 * Waits for this spawn's turn. A spawn blocks the event loop until the child has exec'd (libuv waits for
 * it), which on a loaded host takes tens of ms; 50 machines' actions (a poll, a flood) spawned in one tick
 * blocked it for seconds (3 s measured on this 2-core host under load), stalling every boot route. One
 * at a time with the event loop between, each block is one spawn long.
 */
function spawnTurn(): Promise<void> {
  const mine = lastTurn.then(() => new Promise<void>((r) => setImmediate(r)));
  lastTurn = mine;
  return mine;
}

/** How one ipmitool run ended. */
export type IpmitoolOutcome =
  | { kind: "ok"; stdout: string; stderr: string }
  | { kind: "failed"; stdout: string; stderr: string }
  | { kind: "aborted" }
  | { kind: "missing" }
  | { kind: "crashed"; signal: string; stdout: string; stderr: string }
  | { kind: "overflow"; stdout: string; stderr: string };

/**
 * Runs ipmitool once, without a shell. The password goes in the environment (`-E` reads IPMI_PASSWORD), never
 * in argv, so `ps` does not show it; the environment is only PATH, the C locale (English messages to match)
 * and the password. An abort kills the child (SIGKILL: it has nothing to save) and resolves only once it has
 * exited, so no ipmitool outlives the call.
 */
export async function runIpmitool(
  tool: string,
  args: readonly string[],
  password: string | undefined,
  signal: AbortSignal,
): Promise<IpmitoolOutcome> {
  await spawnTurn();
  if (signal.aborted) return { kind: "aborted" };
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" };
  if (password !== undefined) env.IPMI_PASSWORD = password;
  return new Promise((resolve) => {
    // execFile calls back on 'close' (the child reaped) except on an abort through its own `signal`
    // option, where it calls back at once; so the abort is ours: kill, then answer once 'close' came.
    const child = execFile(
      tool,
      args,
      { env, killSignal: "SIGKILL", maxBuffer: MAX_OUTPUT, encoding: "latin1", windowsHide: true },
      (err, stdout, stderr) => {
        signal.removeEventListener("abort", onAbort);
        const out = { stdout: stdout.slice(0, MAX_OUTPUT), stderr: stderr.slice(0, MAX_OUTPUT) };
        if (signal.aborted) return resolve({ kind: "aborted" });
        if (!err) return resolve({ kind: "ok", ...out });
        const e = err as NodeJS.ErrnoException & { code?: unknown; signal?: string | null };
        if (e.code === "ENOENT" || e.code === "EACCES") return resolve({ kind: "missing" });
        if (e.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") return resolve({ kind: "overflow", ...out });
        // ipmitool asserts on some answers it cannot parse (SIGABRT): the BMC's answer, not a refusal.
        if (e.signal) return resolve({ kind: "crashed", signal: e.signal, ...out });
        resolve({ kind: "failed", ...out });
      },
    );
    const onAbort = () => child.kill("SIGKILL");
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
