import type { CliContext } from "../context.js";
import { EXIT } from "../output.js";

const ENDS: Record<string, number> = { completed: EXIT.ok, expired: EXIT.failure, cancelled: EXIT.failure };

/**
 * `configs arm --wait`: follows the machine's events and shows progress on stderr until the config is
 * completed (exit 0), expired or cancelled (exit 1), or the timeout passes (exit 1). On a terminal one line
 * is rewritten in place with a running clock; anywhere else (a log, a pipe) each state is one plain line, as
 * `\r` redraws would pile up in a log file as one long garbled line.
 */
export async function waitForConfig(
  ctx: CliContext,
  armed: Record<string, unknown>,
  timeoutSec: number,
  tty = process.stderr.isTTY === true,
): Promise<void> {
  const id = String(armed.id);
  const machine = String(armed.machine);
  const ac = new AbortController();
  const started = Date.now();
  let state = String(armed.state);
  let printed = "";
  const line = (s: string) => {
    if (tty) return ctx.err(`\r${s.padEnd(70)}`);
    if (state !== printed) ctx.err(`config ${id} on ${machine}: ${state}\n`);
    printed = state;
  };
  const seconds = () => Math.round((Date.now() - started) / 1000);
  line(`config ${id.slice(0, 8)} on ${machine}: ${state}`);
  const tick = tty
    ? setInterval(() => line(`config ${id.slice(0, 8)} on ${machine}: ${state} (${seconds()} s)`), 1000)
    : undefined;
  const timer = setTimeout(() => ac.abort(), timeoutSec * 1000);
  process.once("SIGINT", () => ac.abort());
  try {
    // Follow from the config's own `armed` event, so every step after it is shown, however fast the
    // machine was: the stream replays what happened before we subscribed.
    const history = await ctx.client.machines.events(machine);
    const armedAt = history.items.filter((e) => e.config === id && e.kind === "config.armed").at(-1)?.seq;
    const watching = ctx.client.events(
      (e) => {
        if (e.config !== id || !e.kind.startsWith("config.")) return;
        state = e.kind.slice("config.".length) === "retried" ? state : e.kind.slice("config.".length);
        line(`config ${id.slice(0, 8)} on ${machine}: ${state}`);
        if (state in ENDS) ac.abort();
      },
      { machine, after: armedAt, signal: ac.signal },
    );
    await watching;
  } finally {
    clearInterval(tick);
    clearTimeout(timer);
  }
  if (tty) ctx.err(`\rconfig ${id} on ${machine}: ${state}${" ".repeat(20)}\n`);
  else if (!(state in ENDS))
    ctx.err(`config ${id} on ${machine}: still ${state}, stopped waiting after ${seconds()} s\n`);
  if (ctx.json) ctx.out(`${JSON.stringify({ id, machine, state })}\n`);
  process.exitCode = ENDS[state] ?? EXIT.failure;
}
