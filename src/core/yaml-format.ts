import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, visit, type Scalar } from "yaml";
import { checkEmbeddedShell } from "../domain/embedded-shell.js";
import { EnforcerError } from "../domain/errors.js";
import { jsonQuote, LINE_OR_CONTROL, refuse, slotsIn, type Slot } from "../domain/value-rules.js";

// failsafe: every scalar reads back as its string, so "the value is intact" is a string comparison.
const OPTIONS = { schema: "failsafe", uniqueKeys: true, strict: true, prettyErrors: false } as const;
const MARKER = /\ue000[^\ue001]*\ue001/g;

/** A tree as data: scalars as strings, maps as ordered pairs, so a moved, added or renamed node shows. */
type Shape = string | { seq: Shape[] } | { map: [Shape, Shape][] } | { alias: string } | null;

/**
 * Places values in a YAML file (cloud-init, autoinstall). Each value is escaped for the scalar it lands in:
 * inside "…" as an escape sequence, inside '…' with doubled quotes, and where the plain or block scalar cannot
 * hold it as it is, that whole scalar is written as one double-quoted scalar. The result is parsed and must
 * have the template's structure, with each value intact.
 */
export function placeYaml(marked: string, slots: readonly Slot[]): string {
  const byMarker = new Map(slots.map((s) => [marked.slice(s.start, s.end), s]));
  const values = (t: string) => t.replace(MARKER, (m) => byMarker.get(m)?.text ?? m);
  const template = parseYaml(marked, "the template is not YAML");
  const edits: { start: number; end: number; text: string }[] = [];
  const inScalar = new Set<Slot>();
  for (const doc of template) {
    visit(doc, {
      Scalar(_, node) {
        const [start, end] = node.range ?? [0, 0];
        const mine = slotsIn(slots, start, end, true);
        if (mine.length === 0) return;
        for (const s of mine) inScalar.add(s);
        const value = String(node.value);
        checkEmbeddedShell(value, byMarker);
        const whole = mine.length === 1 && value === marked.slice(mine[0]!.start, mine[0]!.end);
        if (whole && node.type === "PLAIN" && mine[0]!.kind !== "plain" && mine[0]!.kind !== "shell") {
          edits.push({ start: mine[0]!.start, end: mine[0]!.end, text: mine[0]!.text }); // | json, | yaml
        } else if (node.type === "QUOTE_DOUBLE") {
          for (const s of mine)
            edits.push({ start: s.start, end: s.end, text: jsonQuote(s.text).slice(1, -1) });
        } else if (fitsAsIs(node, mine)) {
          const quote =
            node.type === "QUOTE_SINGLE" ? (t: string) => t.replace(/'/g, "''") : (t: string) => t;
          for (const s of mine) edits.push({ start: s.start, end: s.end, text: quote(s.text) });
        } else {
          const newline = marked.slice(start, end).endsWith("\n") ? "\n" : "";
          edits.push({ start, end, text: jsonQuote(values(value)) + newline });
        }
      },
    });
  }
  for (const s of slots) {
    if (inScalar.has(s)) continue;
    if (LINE_OR_CONTROL.test(s.text))
      refuse(s, "it has a line break or control character outside any YAML value");
    edits.push({ start: s.start, end: s.end, text: s.text });
  }
  edits.sort((a, b) => a.start - b.start);
  let out = "";
  let at = 0;
  for (const e of edits) {
    out += marked.slice(at, e.start) + e.text;
    at = e.end;
  }
  out += marked.slice(at);
  const expected = JSON.stringify(template.map((d) => shape(d.contents, values, byMarker)));
  let actual: string | undefined;
  try {
    actual = JSON.stringify(parseYaml(out, "").map((d) => shape(d.contents)));
  } catch {
    // e.g. a key rewritten as "…" that is now longer than the 1024 characters YAML allows an implicit key
  }
  if (expected !== actual) {
    const culprit = slots.find((s) => !/^[A-Za-z0-9._-]*$/.test(s.text));
    throw new EnforcerError(
      "ENF_ERR_PROVISIONING_UNSAFE_VALUE",
      "a value changed the YAML document's structure or did not read back as itself",
      culprit ? { slot: culprit.index } : {},
    );
  }
  return out;
}

/** True when every value can stand in its scalar as written (single-quoted ones with doubled quotes). */
function fitsAsIs(node: Scalar, mine: readonly Slot[]): boolean {
  return mine.every((s) => {
    if (LINE_OR_CONTROL.test(s.text)) return false;
    if (node.type === "QUOTE_SINGLE") return true;
    if (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") return !/^\s|\s$/.test(s.text);
    return plainSafe(s.text);
  });
}

/** A value that cannot end, start or reshape a plain scalar wherever in it it lands. */
function plainSafe(t: string): boolean {
  return (
    t.length > 0 &&
    !/^\s|\s$/.test(t) &&
    // PyYAML also ends a flow plain scalar at `?`, and refuses a tab or U+FEFF in any plain scalar.
    !/[#,?[\]{}"'`\\\t\ufeff]|:(\s|$)/.test(t) &&
    !/^([!&*|>%@]|[-?:](\s|$))/.test(t)
  );
}

function parseYaml(text: string, what: string) {
  const docs = parseAllDocuments(text, OPTIONS);
  const list = Array.isArray(docs) ? docs : [];
  const error = list.flatMap((d) => d.errors)[0];
  if (error || !Array.isArray(docs)) {
    throw new EnforcerError(
      "ENF_ERR_PROVISIONING_INVALID",
      `${what}: ${error?.message.split("\n")[0] ?? "empty stream"}`,
      {
        format: "yaml",
      },
    );
  }
  return list;
}

function shape(node: unknown, values?: (t: string) => string, byMarker?: Map<string, Slot>): Shape {
  if (isScalar(node)) {
    const v = String(node.value);
    const s = byMarker?.get(v);
    if (s && node.type === "PLAIN" && (s.kind === "json" || s.kind === "yaml"))
      return jsonShape(JSON.parse(s.text));
    return values ? values(v) : v;
  }
  if (isMap(node))
    return { map: node.items.map((p) => [shape(p.key, values, byMarker), shape(p.value, values, byMarker)]) };
  if (isSeq(node)) return { seq: node.items.map((n) => shape(n, values, byMarker)) };
  if (isAlias(node)) return { alias: node.source };
  return null;
}

function jsonShape(v: unknown): Shape {
  if (Array.isArray(v)) return { seq: v.map(jsonShape) };
  if (v && typeof v === "object") return { map: Object.entries(v).map(([k, x]) => [k, jsonShape(x)]) };
  return String(v);
}
