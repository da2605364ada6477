/** A machine's state (its newest config's) in words, and the badge class that colours it. */
export const STATE_WORDS: Record<string, string> = {
  none: "No config",
  draft: "Draft",
  armed: "Armed",
  triggered: "Booting",
  completed: "Provisioned",
  expired: "Expired",
  cancelled: "Cancelled",
};

/** The machine state an event leaves behind, when it changes one. */
export function stateAfter(kind: string): string | undefined {
  const m = /^config\.(created|armed|triggered|completed|expired|cancelled)$/.exec(kind);
  if (!m) return undefined;
  return m[1] === "created" ? "draft" : m[1];
}

/** What happened, in words, for the timeline. */
export function eventWords(kind: string, detail: Record<string, unknown> = {}): string {
  const words: Record<string, string> = {
    "machine.seen": "Booted and asked for its script",
    "machine.created": "Became known",
    "machine.updated": "Details updated",
    "machine.forgotten": "Forgotten",
    "config.created": "Config created",
    "config.armed": "Config armed: the next network boot runs it",
    "config.triggered": "Fetched its config: provisioning started",
    "config.retried": "Fetched its config again (retry)",
    "config.completed": "Provisioning completed",
    "config.expired": "Config expired without completing",
    "config.cancelled": "Config cancelled",
    "command.queued": "Reboot queued",
    "command.sent": "Reboot sent to the agent",
    "command.acknowledged": "Agent acknowledged the reboot",
    "command.failed": "Reboot failed",
    "command.timed-out": "Reboot timed out: no agent answered",
  };
  if (kind.startsWith("power.")) return powerWords(kind, detail);
  if (kind === "boot.attempt")
    return `Boot attempt ${String(detail.attempt ?? "")}: ${String(detail.outcome ?? "")}${detail.hint ? ` (${String(detail.hint)})` : ""}`;
  const other = typeof detail.other === "string" ? detail.other : "another machine";
  if (kind === "machine.conflict")
    return `Identity conflict with ${other}: ${String(detail.identities ?? "")} (nothing attached)`;
  if (kind === "machine.conflict-resolved")
    return `Identity conflict with ${other} ${detail.action === "merge" ? "merged" : "dismissed: kept separate"}`;
  const why = typeof detail.reason === "string" ? ` (${detail.reason})` : "";
  return (words[kind] ?? kind) + why;
}

const POWER_ACTIONS: Record<string, string> = {
  on: "Power on",
  off: "Power off",
  cycle: "Power cycle",
  status: "Power status check",
  "pxe-once": "Network boot once",
};

/** A power event (docs/power.md) in words; the BMC's own words follow where it gave some. */
function powerWords(kind: string, d: Record<string, unknown>): string {
  const s = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : "");
  const action = POWER_ACTIONS[s(d.action)] ?? (s(d.action) || "Power action");
  const part = d.command ? " (part of a reboot)" : "";
  switch (kind) {
    case "power.set":
      return `Power control set: ${s(d.driver)} at ${s(d.address)}${d.username ? ` as ${s(d.username)}` : ""}`;
    case "power.removed":
      return "Power control removed";
    case "power.queued":
      return `${action} queued${part}`;
    case "power.sent":
      return `${action} sent${part}`;
    case "power.done":
      return `${action} done${part}: ${s(d.detail)}`;
    case "power.failed":
      return `${action} failed${part}: ${s(d.message)} (${s(d.code)})`;
    case "power.state":
      return `Power is now ${s(d.state)}`;
  }
  return kind;
}

/** A date and time in the reader's own locale. */
export function when(iso: string | undefined): string {
  if (!iso) return "never";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** Bytes as KiB, MiB, GiB or TiB. */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}
