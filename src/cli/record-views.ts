import type { AssetView } from "../client/api-client.js";
import type { Field } from "./output.js";

// What a person reads after a command that answers one record: the fields that say what happened, in a
// fixed order. --json keeps the API's whole answer (output.ts, showFields); these views only pick and label.

type Row = Record<string, unknown>;

/** A profile as created or replaced: what it boots, not its whole provisioning text (`profiles show` has it). */
export function profileFields(p: Row): Field[] {
  const provisioning = typeof p.provisioning === "string" ? p.provisioning : undefined;
  return [
    ["name", p.name],
    ["family", p.family],
    ["location", p.location],
    ["kernel", p.kernel],
    ["cmdline", p.cmdline],
    ["provisioning", provisioning === undefined ? "-" : `${lineCount(provisioning)} line(s)`],
    ["updated", p.updatedAt],
  ];
}

/** A boot config: its machine, profile, state with the lifecycle's times, and once armed what it boots. */
export function configFields(c: Row): Field[] {
  const life = (c.lifecycle ?? {}) as Row;
  const spec = c.spec as Row | undefined;
  const urls = (c.urls ?? {}) as Row;
  const files = (c.files ?? {}) as Record<string, string>;
  return [
    ["id", c.id],
    ["machine", c.machine],
    ["profile", c.profile],
    ["state", c.state],
    ["variables", c.variables],
    ["created", c.createdAt],
    // Each lifecycle time the config has reached, in lifecycle order.
    ...(["armedAt", "triggeredAt", "completedAt", "expiredAt", "cancelledAt"] as const)
      .filter((k) => life[k] !== undefined)
      .map((k): Field => [k.slice(0, -2), life[k]]),
    ["boots", spec ? (spec.kind === "linux" ? spec.kernel : spec.kind) : "- (rendered when armed)"],
    ["args", spec?.args],
    ["initrds", (spec?.initrds as Row[] | undefined)?.map((i) => i.url)],
    [
      "files",
      spec ? Object.entries(files).map(([name, text]) => `${name} (${byteLength(text)} bytes)`) : undefined,
    ],
    ["files url", urls.files],
    ["complete url", urls.complete],
  ];
}

/** A command to a machine and how far it got. */
export function commandFields(c: Row): Field[] {
  return [
    ["id", c.id],
    ["machine", c.machine],
    ["type", c.type],
    ["state", c.state],
    ["agent", c.agent],
    ["detail", c.detail],
    ["created", c.createdAt],
    ["updated", c.updatedAt],
  ];
}

/** Whether unknown machines boot the discovery image, and from where. */
export function discoveryFields(d: { enabled: boolean; url: string | null }): Field[] {
  return [
    ["discovery", d.enabled ? "on" : "off"],
    ["url", d.url ?? "- (the image Enforcer serves, if --discovery-image is set)"],
  ];
}

/** A cached boot file: what it is, where it came from, how it was checked, and who boots it. */
export function assetFields(a: AssetView): Field[] {
  return [
    ["id", a.id],
    ["name", a.name],
    ["size", bytes(a.size)],
    ["source", a.source],
    ["sha256", a.sha256],
    ["verified", a.verified],
    ["url", a.url],
    ["fetched", a.fetchedAt],
    ["used by", a.usedBy.length ? a.usedBy : "-"],
  ];
}

/** A cached file as one row of `assets ls`. */
export function assetRow(a: AssetView): Row {
  return { ...a, size: bytes(a.size), lastUsed: a.lastUsedAt, usedBy: a.usedBy.join(",") || "-" };
}

/** The cache's fill against its cap, for a person. */
export function usageLine(u: { bytes: number; maxBytes: number; count: number }): string {
  if (u.maxBytes === 0) return "asset cache off (--asset-cache-size 0)";
  return `${u.count} file(s), ${bytes(u.bytes)} of ${bytes(u.maxBytes)} (${Math.round((100 * u.bytes) / u.maxBytes)}%)`;
}

/** Bytes in the unit a person reads best (1024-based, as --asset-cache-size takes them). */
function bytes(n: number): string {
  if (!Number.isFinite(n)) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n.toFixed(1)} ${units[u]}`;
}

function lineCount(text: string): number {
  return text === "" ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** A machine: who it is, its state and config, and its facts one per line (`facts.cpu.count  2`). */
export function machineFields(m: Row): Field[] {
  const config = m.config as Row | undefined;
  return [
    ["id", m.id],
    ["macs", m.macs],
    ["uuid", m.uuid],
    ["serial", m.serial],
    ["hostname", m.hostname],
    ["labels", m.labels],
    ["state", m.state],
    [
      "config",
      config ? `${String(config.id)} (${String(config.profile)}, ${String(config.state)})` : undefined,
    ],
    ["platform", m.platform],
    ["arch", m.arch],
    ["origin", m.origin],
    ["agents", m.agents],
    ["first seen", m.firstSeen],
    ["last seen", m.lastSeen],
    ...flatten("facts", (m.facts ?? {}) as Row, 0),
  ];
}

/** An identity conflict: the two machines, what clashed, who reported it, and its state. */
export function conflictFields(c: Row): Field[] {
  const reported = (c.reported ?? {}) as Row;
  return [
    ["id", c.id],
    ["machine", c.machine],
    ["other", c.other],
    ["identities", (c.identities as Row[] | undefined)?.map((i) => `${String(i.kind)} ${String(i.value)}`)],
    ["reported macs", reported.macs],
    ["reported uuid", reported.uuid],
    ["reported serial", reported.serial],
    ["agent", c.agent],
    ["credential", c.credential],
    ["state", c.state],
    ["resolved by", c.resolvedBy],
    ["created", c.createdAt],
    ["updated", c.updatedAt],
  ];
}

/** Facts nest (cpu.count, disks[0].size); each leaf gets its own dotted line, a few levels deep. */
function flatten(prefix: string, value: Row, depth: number): Field[] {
  return Object.entries(value).flatMap(([k, v]): Field[] => {
    const label = `${prefix}.${k}`;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && depth < 3)
      return flatten(label, v as Row, depth + 1);
    if (Array.isArray(v) && v.some((x) => x !== null && typeof x === "object"))
      return v.flatMap((x, i) =>
        x !== null && typeof x === "object"
          ? flatten(`${label}.${i}`, x as Row, depth + 1)
          : [[`${label}.${i}`, x]],
      );
    return [[label, v]];
  });
}
