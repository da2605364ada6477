import { Liquid } from "liquidjs";
import { EnforcerError } from "../domain/errors.js";

/**
 * Liquid with everything that could reach outside the template turned off: no file system (includes come
 * only from an empty in-memory map), own properties only, unknown variables and filters are errors, and
 * parse/render/memory limits so a hostile template cannot stall the server.
 */
const engine = new Liquid({
  templates: {},
  strictVariables: true,
  strictFilters: true,
  ownPropertyOnly: true,
  parseLimit: 1_000_000,
  renderLimit: 2_000,
  memoryLimit: 64_000_000,
});

/** Renders one provisioning file; a missing variable or bad syntax throws a coded error naming the file. */
export function renderProvisioning(name: string, template: string, context: Record<string, unknown>): string {
  let parsed;
  try {
    parsed = engine.parse(template);
  } catch (err) {
    throw new EnforcerError("ENF_ERR_TEMPLATE_INVALID", `${name}: ${firstLine(err)}`, { file: name });
  }
  try {
    return engine.renderSync(parsed, context) as string;
  } catch (err) {
    const message = firstLine(err);
    const missing = /undefined variable: ([^\s,]+)/i.exec(message);
    if (missing) {
      throw new EnforcerError(
        "ENF_ERR_TEMPLATE_VARIABLE_MISSING",
        `${name} uses "${missing[1]}", which has no value`,
        {
          file: name,
          variable: missing[1],
        },
      );
    }
    throw new EnforcerError("ENF_ERR_TEMPLATE_INVALID", `${name}: ${message}`, { file: name });
  }
}

function firstLine(err: unknown): string {
  return String((err as Error).message ?? err)
    .split("\n")[0]!
    .slice(0, 300);
}
