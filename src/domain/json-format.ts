import { checkEmbeddedShell } from "./embedded-shell.js";
import { EnforcerError } from "./errors.js";
import { jsonQuote, refuse, replaceSlots, type Slot } from "./value-rules.js";

const JSON_SCALAR = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)$/;
const MARKER = /\ue000[^\ue001]*\ue001/g;

/**
 * Places values in a JSON file (Ignition). Inside a JSON string a value is escaped as string content;
 * outside one it must be a number, true, false or null, or come from `| json`. Then the result is parsed
 * and compared with the template's own structure: same members, same lengths, each value intact.
 */
export function placeJson(marked: string, slots: readonly Slot[]): string {
  const inString = stringStates(marked, slots);
  const bySlot = new Map(slots.map((s, k) => [s, inString[k]!]));
  const placed = replaceSlots(marked, slots, (s) => {
    if (bySlot.get(s)) return jsonQuote(s.text).slice(1, -1);
    if (s.kind === "json" || (s.kind === "plain" && JSON_SCALAR.test(s.text))) return s.text;
    return refuse(s, "it sits outside a JSON string; put it inside quotes, or write {{ … | json }}");
  });
  const byMarker = new Map(slots.map((s) => [marked.slice(s.start, s.end), s]));
  const probe = replaceSlots(marked, slots, (s) => {
    const m = marked.slice(s.start, s.end);
    return bySlot.get(s) ? m : `"${m}"`;
  });
  const expected = parse(probe, "the template is not JSON");
  forEachString(expected, (t) => checkEmbeddedShell(t, byMarker));
  const actual = parse(placed, "the rendered file is not JSON");
  const values = (t: string) => t.replace(MARKER, (m) => byMarker.get(m)?.text ?? m);
  const same = (e: unknown, a: unknown): boolean => {
    if (typeof e === "string") {
      const s = byMarker.get(e);
      if (s && !bySlot.get(s)) return deepEqual(a, JSON.parse(s.text));
      return a === values(e);
    }
    if (Array.isArray(e))
      return Array.isArray(a) && a.length === e.length && e.every((x, i) => same(x, a[i]));
    if (e && typeof e === "object") {
      if (!a || typeof a !== "object" || Array.isArray(a)) return false;
      const keys = Object.keys(e);
      if (keys.length !== Object.keys(a).length) return false;
      return keys.every(
        (k) =>
          Object.hasOwn(a, values(k)) &&
          same((e as Record<string, unknown>)[k], (a as Record<string, unknown>)[values(k)]),
      );
    }
    return e === a;
  };
  if (!same(expected, actual)) {
    const culprit = slots.find((s) => !/^[A-Za-z0-9._-]*$/.test(s.text));
    throw new EnforcerError(
      "ENF_ERR_PROVISIONING_UNSAFE_VALUE",
      "a value changed the JSON document's structure (a repeated member name?)",
      culprit ? { slot: culprit.index } : {},
    );
  }
  return placed;
}

/** For each slot: is it inside a JSON string literal? */
function stringStates(marked: string, slots: readonly Slot[]): boolean[] {
  const out: boolean[] = [];
  let inStr = false;
  let next = 0;
  let i = 0;
  while (i < marked.length) {
    if (next < slots.length && slots[next]!.start === i) {
      out.push(inStr);
      i = slots[next++]!.end;
      continue;
    }
    const c = marked[i];
    if (inStr && c === "\\") i += next < slots.length && slots[next]!.start === i + 1 ? 1 : 2;
    else {
      if (c === '"') inStr = !inStr;
      i++;
    }
  }
  while (out.length < slots.length) out.push(false);
  return out;
}

/** Calls `fn` with every string in a parsed JSON value, keys included. */
function forEachString(v: unknown, fn: (s: string) => void): void {
  if (typeof v === "string") fn(v);
  else if (Array.isArray(v)) v.forEach((x) => forEachString(x, fn));
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) {
      fn(k);
      forEachString(x, fn);
    }
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EnforcerError("ENF_ERR_PROVISIONING_INVALID", `${what}: ${(err as Error).message}`, {
      format: "json",
    });
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
