import type { CliContext } from "../context.js";
import { EXIT } from "../output.js";

const ENDS: Record<string, number> = { completed: EXIT.ok, expired: EXIT.failure, cancelled: EXIT.failure };

/**
 * `configs arm --wait`: follows the machine's events and shows progress on stderr until the config is
 * completed (exit 0), expired or cancelled (exit 1), or the timeout passes (exit 1).
 */
export async function waitForConfig(
  ctx: CliContext,
  armed: Record<string, unknown>,
  timeoutSec: number,
): Promise<void> {
  const id = String(armed.id);
  const machine = String(armed.machine);
  const ac = new AbortController();
  const started = Date.now();
  let state = String(armed.state);
  const line = (s: string) => ctx.err(`\r${s.padEnd(70)}`);
  const tick = setInterval(
    () =>
      line(
        `config ${id.slice(0, 8)} on ${machine}: ${state} (${Math.round((Date.now() - started) / 1000)} s)`,
      ),
    1000,
  );
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
  ctx.err(`\rconfig ${id} on ${machine}: ${state}${" ".repeat(20)}\n`);
  if (ctx.json) ctx.out(`${JSON.stringify({ id, machine, state })}\n`);
  process.exitCode = ENDS[state] ?? EXIT.failure;
}
