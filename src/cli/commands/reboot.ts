import type { PowerView } from "../../client/api-client.js";
import type { CliContext } from "../context.js";
import { EXIT, printable, showFields } from "../output.js";
import { commandFields } from "../record-views.js";

type Row = Record<string, unknown>;

/** How often the command is read again while waiting for an agent to take it. */
const POLL_MS = 250;
/** How long a reboot through power control is followed (pxe-once then cycle, each bounded by --power-timeout). */
const POWER_WAIT_SEC = 60;

/**
 * `commands reboot`: queues the reboot, then waits up to `waitSec` for an agent to take it. Every agent
 * that reaches a machine takes a command at once (Serf and Consul on the queued event, the JSON agent in its
 * open long poll), so one still queued after that wait has no agent: the user is told what will (and will
 * not) happen, and the exit code is 7, because a script that reboots a machine must learn it will not reboot.
 * A delivery that failed within the wait exits 1. A reboot through power control (agent `power:<driver>`) is
 * followed until the BMC's outcome, so its failure exits 1 with the BMC's words.
 */
export async function reboot(ctx: CliContext, mac: string, waitSec: number): Promise<void> {
  let c = (await ctx.client.commands.reboot(mac)) as Row;
  const deadline = Date.now() + waitSec * 1000;
  // Power control answers within its bounded timeouts: wait for the BMC's outcome, so a failure exits 1.
  const powerDeadline = Date.now() + (waitSec === 0 ? 0 : Math.max(waitSec, POWER_WAIT_SEC)) * 1000;
  const waiting = () =>
    (c.state === "queued" && Date.now() < deadline) ||
    (c.state === "sent" && String(c.agent).startsWith("power:") && Date.now() < powerDeadline);
  while (waiting()) {
    await new Promise((r) => setTimeout(r, POLL_MS));
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
  const power = await ctx.client.power.get(String(c.machine)).catch(() => undefined);
  ctx.err(
    [
      (power && waitSec === 0
        ? `enforcer: the reboot of ${String(c.machine)} is queued, not followed (--wait 0)`
        : `enforcer: neither an agent nor power control reaches ${String(c.machine)} now: none took the reboot within ${waitSec} s`) +
        (known ? ` (agents that have seen it: ${printable(known.map(String).join(", "))})` : ""),
      "  The command stays queued: the first agent to reach the machine (Serf or Consul seeing it, or Enforcer's",
      "  JSON agent polling on it, docs/agents.md) delivers it then, and the machine reboots at that moment.",
      ...(power ? powerHint(power, waitSec) : noPowerHint(String(c.machine))),
      `  Follow it: enforcer commands show ${String(c.id)}`,
      "",
    ].join("\n"),
  );
  process.exitCode = EXIT.queued;
}

/** What to do about a machine without power control: give it some. */
function noPowerHint(machine: string): string[] {
  return [
    "  To reboot it now, do it by hand, or give it power control (IPMI, Redfish or Wake-on-LAN, docs/power.md):",
    `  enforcer power set ${machine} --driver ipmi --address BMC --username U --password-file F`,
    "  and the next reboot goes through its BMC when no agent reaches it.",
  ];
}

/** Why a machine's power control did not take the reboot (yet). */
function powerHint(p: PowerView, waitSec: number): string[] {
  if (waitSec === 0)
    return [`  Its power control (${p.driver}) takes it in a moment unless an agent does first.`];
  if (p.driver === "wol")
    return [
      "  Its power control is Wake-on-LAN, which only powers on a machine not seen on; the machine was seen on,",
      "  so an agent, or a person, has to reboot it.",
    ];
  return [
    `  Its power control (${p.driver}) did not take it: see --reboot-order (docs/power.md) and`,
    `  enforcer power show ${p.machine}`,
  ];
}
