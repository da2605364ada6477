import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import { assertIpxeSafe } from "../domain/ipxe-safe.js";
import type { FillTemplate } from "../domain/fill-template.js";
import { firstLine, liquidText, missingVariable, sandboxedLiquid } from "./liquid-engine.js";

/**
 * The fill under way. Rendering is synchronous (renderSync), so one module-level slot is enough. A value
 * that fails the check is kept here rather than thrown from inside liquid, which would wrap the error.
 */
let filling: { vars: Readonly<Record<string, string>>; where: string; failure?: unknown } | undefined;

/** Every output must be one safe iPXE token; the error names the variable it came from when it can. */
function checkOutput(value: unknown): string {
  const text = liquidText(value);
  const f = filling;
  if (!f || f.failure) return text;
  try {
    const name = Object.keys(f.vars).find((k) => f.vars[k] === text);
    assertIpxeSafe(text, `${name === undefined ? "a value" : `{{${name}}}`} in ${f.where}`);
  } catch (err) {
    f.failure = err;
  }
  return text;
}

/** The provisioning files' sandboxed engine, with each output checked as an iPXE token instead of placed. */
const engine = sandboxedLiquid(checkOutput);
// `| raw` skips the output check, and raw iPXE script lines are not checked again after the fill: here it
// is an ordinary filter, so its output is checked like any other.
engine.registerFilter("raw", (v: unknown) => v);

/**
 * Fills a template that ends up in an iPXE script (URLs, command lines, raw scripts) with liquid, the one
 * template dialect (the same sandbox as the provisioning files). A variable without a value is an error
 * (ENF_ERR_TEMPLATE_VARIABLE_MISSING), and so is a value that could add a token, line or command
 * (ENF_ERR_IPXE_UNSAFE_VALUE).
 */
export const fillBootTemplate: FillTemplate = (template, vars, where) => {
  let parsed;
  try {
    parsed = engine.parse(template);
  } catch (err) {
    throw new EnforcerError("ENF_ERR_TEMPLATE_INVALID", `${where}: ${firstLine(err)}`, { where });
  }
  const run: NonNullable<typeof filling> = { vars, where };
  let text: string;
  filling = run;
  try {
    text = engine.renderSync(parsed, { ...vars }) as string;
  } catch (err) {
    if (isEnforcerError(err)) throw err;
    const message = firstLine(err);
    const name = missingVariable(message);
    if (name !== undefined) {
      throw new EnforcerError(
        "ENF_ERR_TEMPLATE_VARIABLE_MISSING",
        `${where} uses {{${name}}}, which has no value`,
        { variable: name, where },
      );
    }
    throw new EnforcerError("ENF_ERR_TEMPLATE_INVALID", `${where}: ${message}`, { where });
  } finally {
    filling = undefined;
  }
  if (run.failure) throw run.failure;
  return text;
};
