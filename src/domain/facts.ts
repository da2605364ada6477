import { EnforcerError } from "./errors.js";

/** Plain JSON data: what agents report about a machine. Stored as data, never run or rendered raw. */
export type Facts = { [key: string]: FactValue };
/** One fact value: JSON without functions, prototypes or cycles. */
export type FactValue = string | number | boolean | null | FactValue[] | { [key: string]: FactValue };

/** Limits that keep one machine's facts small enough for a Raspberry Pi holding thousands of them. */
export const FACT_LIMITS = { maxDepth: 8, maxKeys: 2000, maxStringLength: 4096, maxKeyLength: 128 } as const;

/** Copies facts into fresh plain objects, refusing anything deep, huge or not JSON (throws ENF_ERR_FACT_INVALID). */
export function sanitizeFacts(input: unknown): Facts {
  let count = 0;
  const fail = (why: string): never => {
    throw new EnforcerError("ENF_ERR_FACT_INVALID", `facts refused: ${why}`);
  };
  const walk = (v: unknown, depth: number): FactValue => {
    if (++count > FACT_LIMITS.maxKeys) fail(`more than ${FACT_LIMITS.maxKeys} values`);
    if (v === null || typeof v === "boolean") return v;
    if (typeof v === "number") return Number.isFinite(v) ? v : fail("non-finite number");
    if (typeof v === "string") {
      if (v.length > FACT_LIMITS.maxStringLength) fail(`a string longer than ${FACT_LIMITS.maxStringLength}`);
      return v;
    }
    if (depth >= FACT_LIMITS.maxDepth) fail(`nested deeper than ${FACT_LIMITS.maxDepth}`);
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      const out: { [key: string]: FactValue } = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (k.length > FACT_LIMITS.maxKeyLength || k === "__proto__")
          fail(`bad key ${JSON.stringify(k.slice(0, 40))}`);
        Object.defineProperty(out, k, {
          value: walk(x, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return fail(`unsupported value of type ${typeof v}`);
  };
  const top = walk(input, 0);
  if (top === null || typeof top !== "object" || Array.isArray(top)) fail("facts must be an object");
  return top as Facts;
}
