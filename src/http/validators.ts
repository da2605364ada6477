import { Ajv } from "ajv";
import type { FastifySchemaCompiler } from "fastify";

/**
 * Two validators: bodies are checked strictly (no type coercion, unknown fields refused, never removed);
 * query strings and path parameters arrive as text, so there numbers and booleans are coerced.
 */
const strict = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false });
const lenient = new Ajv({ removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: false });

/** Fastify's validator compiler: strict for bodies, coercing for everything else. */
export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === "body" ? strict : lenient).compile(schema);
