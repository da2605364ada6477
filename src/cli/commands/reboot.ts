import type { CliContext } from "../context.js";
import { EXIT, printable, showFields } from "../output.js";
import { commandFields } from "../record-views.js";

type Row = Record<string, unknown>;

/** How often the command is read again while waiting for an agent to take it. */
const POLL_MS = 250;

/**
 * `commands reboot`: queues the reboot, then waits up to `waitSec` for an agent to take it. Every agent
 * that reaches a machine takes a command at once (Serf and Consul on the queued event, the JSON agent in its
 * open long poll), so one still queued after that wait has no agent: the user is told what will (and will
 * not) happen, and the exit code is 7, because a script that reboots a machine must learn it will not reboot.
 * A delivery that failed within the wait exits 1.
 */
export async function reboot(ctx: CliContext, mac: string, waitSec: number): Promise<void> {
  let c = (await ctx.client.commands.reboot(mac)) as Row;
  const deadline = Date.now() + waitSec * 1000;
  while (c.state === "queued" && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
    c = (await ctx.client.commands.get(String(c.id))) as Row;
  }
  showFields(ctx, c, commandFields(c));
  if (c.state === "failed" || c.state === "timed-out") {
    ctx.err(
      `enforcer: the reboot of ${String(c.machine)} ${String(c.state)}: ${printable(String(c.detail ?? ""))}\n`,
    );
    process.exitCode = EXIT.failure;
    return;
  }
  if (c.state !== "queued") return;
  const machine = (await ctx.client.machines.get(String(c.machine)).catch(() => ({}))) as Row;
  const known = Array.isArray(machine.agents) && machine.agents.length > 0 ? machine.agents : undefined;
  ctx.err(
    [
      `enforcer: neither an agent nor power control reaches ${String(c.machine)} now: none took the reboot within ${waitSec} s` +
        (known ? ` (agents that have seen it: ${printable(known.map(String).join(", "))})` : ""),
      "  The command stays queued: the first agent to reach the machine (Serf or Consul seeing it, or Enforcer's",
      "  JSON agent polling on it, docs/agents.md) delivers it then, and the machine reboots at that moment.",
      "  To reboot it now, do it by hand, or give it power control (IPMI, Redfish or Wake-on-LAN, docs/power.md):",
      `  enforcer power set ${String(c.machine)} --driver ipmi --address BMC --username U --password-file F`,
      "  and the next reboot goes through its BMC when no agent reaches it.",
      `  Follow it: enforcer commands show ${String(c.id)}`,
      "",
    ].join("\n"),
  );
  process.exitCode = EXIT.queued;
}
