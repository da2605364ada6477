import { EnforcerError } from "./errors.js";

/** An SMBIOS system UUID, lower case, 8-4-4-4-12. */
export type Uuid = string & { readonly __brand: "Uuid" };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HOSTNAME_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^[A-Za-z0-9._-]{0,63}$/;
const SERIAL = /^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$/;

/** Parses a UUID (braces and upper case accepted); answers undefined for the all-zero "not set" UUID. */
export function parseUuid(input: string): Uuid | undefined {
  const s = input
    .trim()
    .toLowerCase()
    .replace(/^\{|\}$/g, "");
  if (!UUID.test(s)) {
    throw new EnforcerError("ENF_ERR_UUID_INVALID", `not a UUID: ${JSON.stringify(input.slice(0, 64))}`);
  }
  if (/^[0-]+$/.test(s) || /^[f-]+$/.test(s)) return undefined;
  return s as Uuid;
}

/** Checks a hostname against RFC 1123 (lower-cased); throws ENF_ERR_HOSTNAME_INVALID. */
export function parseHostname(input: string): string {
  const s = input.trim().toLowerCase();
  const labels = s.split(".");
  if (s.length === 0 || s.length > 253 || !labels.every((l) => HOSTNAME_LABEL.test(l))) {
    throw new EnforcerError(
      "ENF_ERR_HOSTNAME_INVALID",
      `not a valid hostname: ${JSON.stringify(input.slice(0, 64))}`,
    );
  }
  return s;
}

/** Checks a serial number: printable ASCII, 1-128 characters; answers undefined for firmware placeholders. */
export function parseSerial(input: string): string | undefined {
  const s = input.trim();
  if (s === "" || /^(0+|none|not specified|to be filled by o\.e\.m\.|default string)$/i.test(s))
    return undefined;
  if (!SERIAL.test(s)) {
    throw new EnforcerError(
      "ENF_ERR_FACT_INVALID",
      "a serial number must be 1-128 printable ASCII characters",
    );
  }
  return s;
}

/** Validates a label map: keys like `rack`, `example.com/role`; values short and plain. */
export function parseLabels(input: Record<string, string>): Record<string, string> {
  const entries = Object.entries(input);
  if (entries.length > 64) throw new EnforcerError("ENF_ERR_LABEL_INVALID", "at most 64 labels per machine");
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k))
      throw new EnforcerError("ENF_ERR_LABEL_INVALID", `bad label key ${JSON.stringify(k.slice(0, 80))}`);
    if (typeof v !== "string" || !LABEL_VALUE.test(v)) {
      throw new EnforcerError("ENF_ERR_LABEL_INVALID", `bad value for label ${k}`);
    }
  }
  return Object.fromEntries(entries);
}
