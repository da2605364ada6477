import { shellContexts } from "./shell-lexer.js";
import { refuse, type Slot } from "./value-rules.js";

const MARKER = /\ue000[^\ue001]*\ue001/g;

/**
 * Refuses a `| shell` value that is not one word of the shell command a YAML scalar or JSON string holds
 * (cloud-init `runcmd`, autoinstall `late-commands`, an Ignition unit's ExecStart). Those files escape the
 * value only for YAML or JSON; inside a nested `sh -c '…'` its single quotes would close the outer ones,
 * so the filter that promised one word would have let the value run as commands.
 * `value` is the string as its reader will see it, still holding the markers of the values placed in it.
 */
export function checkEmbeddedShell(value: string, byMarker: ReadonlyMap<string, Slot>): void {
  const found: Slot[] = [];
  for (const m of value.matchAll(MARKER)) {
    const s = byMarker.get(m[0]);
    if (s) found.push({ ...s, start: m.index, end: m.index + m[0].length });
  }
  if (!found.some((s) => s.kind === "shell")) return;
  const ctx = shellContexts(value, found, "shell");
  found.forEach((s, k) => {
    if (s.kind === "shell" && ctx[k] !== "word")
      refuse(s, "its | shell quoting would land inside quotes of the shell command this string holds");
  });
}
