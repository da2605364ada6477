import { EnforcerError } from "./errors.js";
import { assertIpxeSafe } from "./ipxe-safe.js";

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}/g;

/**
 * Replaces `{{name}}` in a template that ends up in an iPXE script (URLs, command lines, raw scripts).
 * A name without a value is an error, and so is a value that could add a token, line or command.
 */
export function fillPlaceholders(
  template: string,
  vars: Readonly<Record<string, string>>,
  where: string,
): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
    if (value === undefined) {
      throw new EnforcerError(
        "ENF_ERR_TEMPLATE_VARIABLE_MISSING",
        `${where} uses {{${name}}}, which has no value`,
        {
          variable: name,
          where,
        },
      );
    }
    return assertIpxeSafe(value, `{{${name}}} in ${where}`);
  });
}

/** Splits a command line on whitespace, dropping empty parts. */
export function splitArgs(cmdline: string): string[] {
  return cmdline.split(/\s+/).filter((a) => a.length > 0);
}
