import { EnforcerError } from "./errors.js";

/**
 * One value a provisioning template printed with `{{ }}`, at `start..end` of the marked render. `kind` says
 * which quoting filter produced `text` (`plain`: none; the text is the value as Liquid prints it).
 */
export interface Slot {
  index: number;
  start: number;
  end: number;
  text: string;
  kind: "plain" | "shell" | "json" | "yaml";
}

/**
 * Characters that end a line or are invisible controls for some reader of a provisioning file: C0 controls
 * except tab, DEL, C1 (NEL U+0085 among them) and U+2028/U+2029, which Python's `splitlines` (Anaconda)
 * and YAML 1.1 (cloud-init's PyYAML) treat as line breaks; and lone UTF-16 surrogates, which no UTF-8 file
 * can carry (they would reach the reader as U+FFFD, not as the value).
 */
export const LINE_OR_CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]|\p{Cs}/u;

/** Words no shell (at any nesting, in any quoting) reads as anything but themselves. */
export const SHELL_WORD = /^[A-Za-z0-9_@%+=:,./-]*$/;

/** Why `text` cannot sit on one line of a line-oriented file, or undefined when it can. */
export function lineProblem(text: string): string | undefined {
  const bad = LINE_OR_CONTROL.exec(text);
  return bad ? `it has a line break or control character (${describe(bad[0])} at ${bad.index})` : undefined;
}

/** Why `text` is not a plain shell word, or undefined when it is one. */
export function shellWordProblem(text: string): string | undefined {
  if (SHELL_WORD.test(text)) return undefined;
  const bad = /[^A-Za-z0-9_@%+=:,./-]/.exec(text)!;
  return `it has ${describe(bad[0])} at ${bad.index}, which a shell would read; write it as {{ … | shell }} where a word goes`;
}

/** The value as one single-quoted POSIX shell word (also what Python's shlex reads back). */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * JSON text for a value, with DEL, C1, U+2028/U+2029 and U+FEFF escaped as well, so the same text is also a
 * YAML double-quoted scalar that YAML 1.1 and 1.2 readers both read back unchanged.
 */
export function jsonQuote(value: unknown): string {
  const json = JSON.stringify(value === undefined ? null : value) ?? "null";
  return json.replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Throws the refusal for one slot; provisioning rendering adds the file, line and variable name. */
export function refuse(slot: Slot, why: string): never {
  throw new EnforcerError("ENF_ERR_PROVISIONING_UNSAFE_VALUE", why, { slot: slot.index });
}

/**
 * The slots that start inside `start..end` (and, with `within`, also end there), by binary search: `slots`
 * are in text order, and a file with thousands of lines and values must not cost lines × values.
 */
export function slotsIn(slots: readonly Slot[], start: number, end: number, within = false): Slot[] {
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (slots[mid]!.start < start) lo = mid + 1;
    else hi = mid;
  }
  const out: Slot[] = [];
  for (let i = lo; i < slots.length && slots[i]!.start < end; i++)
    if (!within || slots[i]!.end <= end) out.push(slots[i]!);
  return out;
}

/** Rebuilds the marked text with each slot replaced by what `place` answers for it. */
export function replaceSlots(marked: string, slots: readonly Slot[], place: (s: Slot) => string): string {
  let out = "";
  let at = 0;
  for (const s of slots) {
    out += marked.slice(at, s.start) + place(s);
    at = s.end;
  }
  return out + marked.slice(at);
}

/** A character as people can read it in an error message. */
function describe(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029
    ? `U+${code.toString(16).toUpperCase().padStart(4, "0")}`
    : JSON.stringify(c);
}
