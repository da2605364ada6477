import { EnforcerError } from "./errors.js";

/**
 * Characters a value may never carry into an iPXE script or a kernel command line: whitespace and control
 * characters split or end a line, `$` and braces start a setting expansion, `|` and `&` build `||`/`&&`,
 * quotes and backslashes change tokenising (in iPXE and in the kernel), and non-ASCII has no safe meaning.
 */
const UNSAFE = /[^\x21-\x7e]|[$"'\\`|&{}]/;
/** Longest single token we put in a script; the x86 kernel command line itself is 2048 bytes. */
export const MAX_TOKEN_LENGTH = 2048;

/** Throws ENF_ERR_IPXE_UNSAFE_VALUE unless `value` is one harmless token for iPXE and the kernel. */
export function assertIpxeSafe(value: string, what: string): string {
  const bad = UNSAFE.exec(value);
  if (
    bad ||
    value.length === 0 ||
    value.length > MAX_TOKEN_LENGTH ||
    value === ";" ||
    value.startsWith("#")
  ) {
    const why = bad
      ? `character ${JSON.stringify(bad[0])} at ${bad.index}`
      : value.length === 0
        ? "it is empty"
        : value.length > MAX_TOKEN_LENGTH
          ? `it is longer than ${MAX_TOKEN_LENGTH}`
          : "it would be read as a separator or comment";
    throw new EnforcerError("ENF_ERR_IPXE_UNSAFE_VALUE", `${what} cannot go into an iPXE script: ${why}`, {
      what,
    });
  }
  return value;
}

/** True when assertIpxeSafe would accept `value`. */
export function isIpxeSafe(value: string): boolean {
  try {
    assertIpxeSafe(value, "value");
    return true;
  } catch {
    return false;
  }
}
