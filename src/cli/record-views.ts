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

function lineCount(text: string): number {
  return text === "" ? 0 : text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}
