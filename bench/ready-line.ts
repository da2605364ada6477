import type { ChildProcess } from "node:child_process";

/**
 * Resolves once the child prints `text` on stdout (rejects if it exits first). Then it stops collecting and
 * keeps the pipe drained: a server blocked on a full stdout pipe would measure the pipe, not itself.
 */
export function untilLine(child: ChildProcess, text = "enforcer: ready"): Promise<void> {
  return new Promise((res, rej) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!out.includes(text)) return;
      child.stdout!.off("data", onData);
      child.off("exit", onExit);
      child.stdout!.resume();
      res();
    };
    const onExit = (code: number | null) => rej(new Error(`exited ${code} before "${text}"`));
    child.stdout!.on("data", onData);
    child.on("exit", onExit);
  });
}
