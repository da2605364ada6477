import { Liquid } from "liquidjs";

/**
 * Liquid with everything that could reach outside the template turned off: no file system (includes come
 * only from an empty in-memory map), own properties only, unknown variables and filters are errors, and
 * parse/render/memory limits so a hostile template cannot stall the server. Every `{{ }}` output goes
 * through `outputEscape`: the one place a value is checked or marked before it reaches the text.
 */
export function sandboxedLiquid(outputEscape: (value: unknown) => string): Liquid {
  return new Liquid({
    templates: {},
    strictVariables: true,
    strictFilters: true,
    ownPropertyOnly: true,
    parseLimit: 1_000_000,
    renderLimit: 2_000,
    memoryLimit: 64_000_000,
    outputEscape,
  });
}

/** Liquid's own way of printing a value. */
export function liquidText(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map(liquidText).join("");
  return String(v);
}

/** The first line of a liquid error, bounded: what a coded error's message carries. */
export function firstLine(err: unknown): string {
  return String((err as Error).message ?? err)
    .split("\n")[0]!
    .slice(0, 300);
}

/** The variable a strict render found undefined, from liquid's message; undefined for other errors. */
export function missingVariable(message: string): string | undefined {
  return /undefined variable: ([^\s,]+)/i.exec(message)?.[1];
}
