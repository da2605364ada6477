import { Ajv, type ErrorObject } from "ajv";
import type { FastifySchemaCompiler } from "fastify";

/**
 * Two validators: bodies are checked strictly (no type coercion, unknown fields refused, never removed);
 * query strings and path parameters arrive as text, so there numbers and booleans are coerced.
 */
const strict = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false });
const lenient = new Ajv({ removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false });

/**
 * Fastify's validator compiler: strict for bodies, coercing for everything else. Each schema is compiled on
 * its route's first request, not at start: compiling all of them cost a quarter of a second and a few MiB
 * of generated code at every start, for routes most starts never see.
 */
export const validatorCompiler: FastifySchemaCompiler<object> = (route) => {
  let compiled: ReturnType<typeof compileNow> | undefined;
  const check: Validator = Object.assign(
    (data: unknown): boolean => {
      compiled ??= compileNow(route);
      const ok = compiled(data);
      check.errors = compiled.errors ?? null;
      return ok;
    },
    { errors: null },
  );
  return check;
};

/** A compiled check and the errors of its last call, the shape Fastify reads. */
type Validator = ((data: unknown) => boolean) & { errors: ErrorObject[] | null };
type Compiled = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

function compileNow({ schema, httpPart }: { schema: object; httpPart?: string }): Compiled {
  if (httpPart === "body") return strict.compile(schema);
  const compiled = lenient.compile(schema);
  // Ajv coerces "Infinity" and "1e309" to Infinity and then checks minimum and maximum against the text,
  // which every bound lets through; no query or path number is meant to be infinite, so none may be.
  const check: Validator = Object.assign(
    (data: unknown): boolean => {
      check.errors = null;
      if (!compiled(data)) {
        check.errors = compiled.errors ?? null;
        return false;
      }
      const bad = nonFinite(data);
      if (bad === undefined) return true;
      check.errors = [
        {
          instancePath: `/${bad}`,
          schemaPath: "#/type",
          keyword: "type",
          params: { type: "finite number" },
          message: "must be a finite number",
        },
      ];
      return false;
    },
    { errors: null },
  );
  return check;
}

/** The name of the first top-level value that is a non-finite number, if any. */
function nonFinite(data: unknown): string | undefined {
  if (!data || typeof data !== "object") return undefined;
  for (const [k, v] of Object.entries(data)) if (typeof v === "number" && !Number.isFinite(v)) return k;
  return undefined;
}
