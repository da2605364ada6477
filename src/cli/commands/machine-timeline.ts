import type { Command } from "commander";
import type { BootTimeline, TimelineAttempt } from "../../client/api-client.js";
import { clientCommand, cliContext, type CommonOptions } from "../context.js";
import { printable } from "../output.js";

const FOLLOW_MS = 2000;

/** The clock time of an ISO date (the attempt's header has the date). */
const time = (iso: string) => iso.slice(11, 19);

/** One attempt as a table: each step on a line, the stop step marked, the hint under it. */
export function attemptText(a: TimelineAttempt): string {
  const lines = [
    `attempt ${a.n} of ${a.mac}, started ${a.startedAt}: ${a.outcome}${a.droppedSteps > 0 ? ` (${a.droppedSteps} steps left out)` : ""}`,
  ];
  a.steps.forEach((s, i) => {
    const mark = i === a.stopIndex ? ">" : " ";
    lines.push(`${mark} ${String(i + 1).padStart(2)}  ${time(s.at)}  ${s.label}`);
  });
  if (a.hint) lines.push(`  stopped at step ${(a.stopIndex ?? 0) + 1}: ${a.hint.text} [${a.hint.code}]`);
  // Labels and hints carry names from the network (file names, vendor classes): shown, never run.
  return lines.map(printable).join("\n") + "\n";
}

/** The whole answer in words: each live attempt, or the recorded summaries when none is live (a restart). */
function timelineText(t: BootTimeline): string {
  if (t.attempts.length > 0) return t.attempts.map(attemptText).join("\n");
  if (t.recorded.length === 0) return `no boot seen for ${printable(t.mac)}\n`;
  return t.recorded
    .map((r) =>
      printable(
        `${r.at}  ${String(r.detail.outcome)}  ${String(r.detail.path)}${r.detail.hint ? `  [${String(r.detail.hint)}]` : ""}`,
      ),
    )
    .join("\n")
    .concat("\n");
}

/** `enforcer machines timeline <MAC> [--limit N] [--follow]` */
export function registerMachineTimeline(machines: Command): void {
  clientCommand(machines, "timeline <MAC>", "a machine's latest boot attempts, where each stopped and why")
    .option("--limit <n>", "at most this many attempts (default 5)")
    .option("--follow", "print the latest attempt again whenever it changes (Ctrl-C stops)")
    .action(async (mac: string, o: CommonOptions & { limit?: string; follow?: boolean }) => {
      const ctx = cliContext(o);
      const limit = o.limit ? Number(o.limit) : undefined;
      const t = await ctx.client.machines.timeline(mac, limit);
      ctx.out(ctx.json ? `${JSON.stringify(t)}\n` : timelineText(t));
      if (!o.follow) return;
      // Polling is enough for a person watching one machine boot; the event stream carries the summaries.
      let last = JSON.stringify(t.attempts.at(-1) ?? null);
      const stop = new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
      for (;;) {
        const tick = await Promise.race([
          stop.then(() => false),
          new Promise<boolean>((r) => setTimeout(() => r(true), FOLLOW_MS)),
        ]);
        if (!tick) return;
        const next = await ctx.client.machines.timeline(mac, 1);
        const a = next.attempts.at(-1);
        const key = JSON.stringify(a ?? null);
        if (!a || key === last) continue;
        last = key;
        ctx.out(ctx.json ? `${JSON.stringify(a)}\n` : `\n${attemptText(a)}`);
      }
    });
}
