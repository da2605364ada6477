import { randomBytes } from "node:crypto";
import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import type { FileFormat } from "../domain/file-formats.js";
import { placeJson } from "../domain/json-format.js";
import { placeIpxe, placeKickstart, placePreseed, placeShell, placeText } from "../domain/line-formats.js";
import { jsonQuote, shellQuote, type Slot } from "../domain/value-rules.js";
import { firstLine, liquidText, missingVariable, sandboxedLiquid } from "./liquid-engine.js";
import { placeYaml } from "./yaml-format.js";

/** What a quoting filter (`| shell`, `| json`, `| yaml`) hands to the output: already quoted text. */
class Quoted {
  constructor(
    readonly kind: "shell" | "json" | "yaml",
    readonly text: string,
    readonly raw: string,
  ) {}
  toString(): string {
    return this.text;
  }
}

interface Printed {
  text: string;
  raw: string;
  kind: Slot["kind"];
}

/**
 * The values of the render under way. Rendering is synchronous (renderSync), so one module-level slot is
 * enough: nothing else can run between setting and clearing it.
 */
let printing: { nonce: string; values: Printed[] } | undefined;

/**
 * Every `{{ }}` output leaves a marker instead of its value; the value is placed only after the file's
 * format has said where each marker sits. `| raw` skips this, so it is for trusted template text only.
 */
function markOutput(value: unknown): string {
  const p = printing;
  if (!p) return liquidText(value);
  const q = value instanceof Quoted ? value : undefined;
  const text = unmark(q ? q.text : liquidText(value), p);
  p.values.push({ text, raw: q ? q.raw : text, kind: q?.kind ?? "plain" });
  return `\ue000${p.nonce}:${p.values.length - 1}\ue001`;
}

/** The sandboxed engine (see sandboxedLiquid), every output marked so the file's format places it. */
const engine = sandboxedLiquid(markOutput);
engine.registerFilter("shell", (v: unknown) => new Quoted("shell", shellQuote(liquidText(v)), liquidText(v)));
engine.registerFilter("json", (v: unknown) => new Quoted("json", jsonQuote(v), liquidText(v)));
// A double-quoted YAML scalar is JSON string syntax with YAML 1.1's extra line breaks escaped (jsonQuote).
engine.registerFilter("yaml", (v: unknown) => new Quoted("yaml", jsonQuote(liquidText(v)), liquidText(v)));

const PLACE: Record<FileFormat, (marked: string, slots: readonly Slot[]) => string> = {
  text: placeText,
  ipxe: placeIpxe,
  shell: placeShell,
  preseed: placePreseed,
  kickstart: placeKickstart,
  json: placeJson,
  yaml: placeYaml,
};

/**
 * Renders one provisioning file; a missing variable or bad syntax throws a coded error naming the file, and
 * a value that cannot be placed safely in the file's format throws ENF_ERR_PROVISIONING_UNSAFE_VALUE naming
 * the value, the file and the line.
 */
export function renderProvisioning(
  name: string,
  template: string,
  context: Record<string, unknown>,
  format: FileFormat = "text",
): string {
  let parsed;
  try {
    parsed = engine.parse(template);
  } catch (err) {
    throw new EnforcerError("ENF_ERR_TEMPLATE_INVALID", `${name}: ${firstLine(err)}`, { file: name });
  }
  const run = { nonce: randomBytes(6).toString("hex"), values: [] as Printed[] };
  let marked: string;
  printing = run;
  try {
    marked = engine.renderSync(parsed, context) as string;
  } catch (err) {
    const message = firstLine(err);
    const missing = missingVariable(message);
    if (missing) {
      throw new EnforcerError(
        "ENF_ERR_TEMPLATE_VARIABLE_MISSING",
        `${name} uses "${missing}", which has no value`,
        {
          file: name,
          variable: missing,
        },
      );
    }
    throw new EnforcerError("ENF_ERR_TEMPLATE_INVALID", `${name}: ${message}`, { file: name });
  } finally {
    printing = undefined;
  }
  const slots: Slot[] = [];
  for (const m of marked.matchAll(markerPattern(run.nonce))) {
    const v = run.values[Number(m[1])]!;
    slots.push({
      index: Number(m[1]),
      start: m.index,
      end: m.index + m[0].length,
      text: v.text,
      kind: v.kind,
    });
  }
  if (/\ue000[0-9a-f]{12}:/i.test(marked.replace(markerPattern(run.nonce), ""))) {
    // A filter changed a captured text that still held markers (`{% capture %}` … `| upcase`).
    throw new EnforcerError("ENF_ERR_TEMPLATE_INVALID", `${name}: a filter changed text that holds values`, {
      file: name,
    });
  }
  try {
    return PLACE[format](marked, slots);
  } catch (err) {
    throw explain(err, name, format, marked, slots, run.values, context);
  }
}

function explain(
  err: unknown,
  file: string,
  format: FileFormat,
  marked: string,
  slots: readonly Slot[],
  values: readonly Printed[],
  context: Record<string, unknown>,
): unknown {
  if (!isEnforcerError(err)) return err;
  const slot = slots.find((s) => s.index === err.details.slot);
  if (err.code !== "ENF_ERR_PROVISIONING_UNSAFE_VALUE" || !slot)
    return new EnforcerError(err.code, `${file}: ${err.message}`, { file, format });
  const line = marked.slice(0, slot.start).split("\n").length;
  const raw = values[slot.index]!.raw;
  const sources = sourcesOf(raw, context);
  const shown = JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw);
  const what =
    sources.length === 0
      ? "a value"
      : `the value of ${sources[0]}${sources[1] ? ` (also ${sources[1]})` : ""}`;
  return new EnforcerError(
    "ENF_ERR_PROVISIONING_UNSAFE_VALUE",
    `${file} line ${line}: ${what}, ${shown}, cannot go into this ${format} file: ${err.message}`,
    { file, format, line, variable: sources[0] ?? null, value: raw.slice(0, 60) },
  );
}

/** Where in the context a printed value came from (variables first, then facts and labels), at most two. */
function sourcesOf(raw: string, context: Record<string, unknown>): string[] {
  const found: string[] = [];
  let budget = 5_000;
  const walk = (v: unknown, path: string) => {
    if (found.length >= 2 || --budget < 0) return;
    if (v === raw) found.push(path);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v))
        walk(x, /^[A-Za-z_]\w*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`);
  };
  for (const [k, v] of Object.entries(context)) walk(v, k);
  return found;
}

function markerPattern(nonce: string): RegExp {
  return new RegExp(`\\ue000${nonce}:(\\d+)\\ue001`, "g");
}

/** A value that carries markers (a `{% capture %}` printed again) is placed as one value, its parts joined. */
function unmark(text: string, p: { nonce: string; values: Printed[] }): string {
  return text.replace(markerPattern(p.nonce), (_, i: string) => p.values[Number(i)]?.text ?? "");
}
