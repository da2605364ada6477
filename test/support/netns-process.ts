// A long-running process (an `enforcer serve`) started inside a network namespace by a namespace test, with
// what it prints kept for the test's assertions and a stop that waits for it to be gone.
import { spawn, type ChildProcess } from "node:child_process";

/** A process running in a namespace: the child, its output so far, ready when it said so. */
export interface NsProcess {
  child: ChildProcess;
  /** Resolves once the output matches the `ready` pattern; rejects with the output if it exits first. */
  ready: Promise<void>;
  /** stdout and stderr so far, in the order they came. */
  out(): string;
  /** Sends `signal` (SIGTERM) and waits for the exit; nothing if it has exited already. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `cmd` in namespace `ns` (`ip netns exec`, which execs in place: the child's PID is the command's),
 * with `env` over this process's environment. Returned at once, so that a test's `after` can stop it even
 * if it never gets ready.
 */
export function startInNs(
  ns: string,
  cmd: string[],
  ready: RegExp,
  env: Record<string, string> = {},
): NsProcess {
  const child = spawn("ip", ["netns", "exec", ns, ...cmd], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let out = "";
  const isReady = new Promise<void>((res, rej) => {
    const take = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) res();
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.once("exit", (code) => rej(new Error(`exited with ${code} before it was ready: ${out}`)));
  });
  return {
    child,
    ready: isReady,
    out: () => out,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await gone;
    },
  };
}
