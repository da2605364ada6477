import { EnforcerError } from "./errors.js";
import {
  POWER_DRIVERS,
  type PowerBootMode,
  type PowerDriverName,
  type PowerInput,
  type PowerRecord,
} from "./power.js";

/** Where a Wake-on-LAN packet goes when the operator names no address: the local broadcast, port 9 (discard). */
export const WOL_DEFAULT_ADDRESS = "255.255.255.255:9";

/** Fields a PUT may carry; anything else is refused, so a typo never silently does nothing. */
const FIELDS = new Set([
  "driver",
  "address",
  "username",
  "password",
  "cipherSuite",
  "bootMode",
  "tlsFingerprint",
  "systemId",
]);

/** The options each driver reads; another driver's option is refused, not silently ignored. */
const DRIVER_OPTIONS: Record<PowerDriverName, readonly string[]> = {
  ipmi: ["cipherSuite", "bootMode"],
  redfish: ["bootMode", "tlsFingerprint", "systemId"],
  wol: [],
};

/** Byte limits of user and password: ipmitool's (IPMI 2.0: 16-byte user, 20-byte password), Redfish's sane cap. */
const LIMITS: Record<PowerDriverName, { username: number; password: number }> = {
  ipmi: { username: 16, password: 20 },
  redfish: { username: 128, password: 128 },
  wol: { username: 0, password: 0 },
};

const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/;
const PORT = /^[1-9]\d{0,4}$/;
const SYSTEM_ID = /^[A-Za-z0-9._-]{1,64}$/;
const FINGERPRINT = /^[0-9a-f]{64}$/;
/** Printable ASCII, space included: no control characters, no NUL, nothing a terminal or a log could misread. */
const PRINTABLE = /^[\x20-\x7e]+$/;

function invalid(field: string, why: string): never {
  throw new EnforcerError("ENF_ERR_POWER_INVALID", `${field}: ${why}`, { field });
}

/**
 * Validates a PUT of a machine's power control: the driver's required fields, host[:port] addresses that can
 * never be read as an option (`-oProxyCommand=…`), byte limits of the BMC's protocol, printable credentials.
 * `previous` is the stored record: a PUT without a password keeps it only when driver, address and user are
 * unchanged. Throws ENF_ERR_POWER_INVALID naming the field.
 */
export function parsePowerInput(body: unknown, previous?: PowerRecord): PowerInput {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    invalid("body", "must be a JSON object");
  }
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!FIELDS.has(k)) invalid(k.slice(0, 40), "unknown field");
  }
  const driver = b.driver;
  if (typeof driver !== "string" || !(POWER_DRIVERS as readonly string[]).includes(driver)) {
    invalid("driver", `must be one of ${POWER_DRIVERS.join(", ")}`);
  }
  const d = driver as PowerDriverName;
  for (const k of ["cipherSuite", "bootMode", "tlsFingerprint", "systemId"]) {
    if (b[k] !== undefined && !DRIVER_OPTIONS[d].includes(k)) invalid(k, `is not an option of ${d}`);
  }
  const out: PowerInput = { driver: d };
  if (d === "wol") {
    if (b.username !== undefined) invalid("username", "Wake-on-LAN has no user");
    if (b.password !== undefined) invalid("password", "Wake-on-LAN has no password");
    out.address = b.address === undefined ? WOL_DEFAULT_ADDRESS : parseAddress(b.address);
    return out;
  }
  if (b.address === undefined) invalid("address", "required");
  out.address = parseAddress(b.address);
  out.username = credential("username", b.username, LIMITS[d].username);
  if (out.username.startsWith("-")) invalid("username", "must not start with '-'");
  // Parsed before the password rule, which compares it.
  const fingerprint =
    d === "redfish" && b.tlsFingerprint !== undefined ? parseFingerprint(b.tlsFingerprint) : undefined;
  if (b.password !== undefined) {
    out.password = credential("password", b.password, LIMITS[d].password);
  } else {
    // A password is only ever sent to the BMC and user it was given for, and (Redfish) behind the same
    // trust: a new or dropped pinned certificate would send it to whoever answers at that address with it.
    const same =
      previous?.password !== undefined &&
      previous.driver === d &&
      previous.address === out.address &&
      previous.username === out.username &&
      (d !== "redfish" || previous.options.tlsFingerprint === fingerprint);
    if (!same)
      invalid("password", "required (driver, address, username or tlsFingerprint changed, or none stored)");
  }
  if (b.bootMode !== undefined) out.bootMode = parseBootMode(b.bootMode);
  if (d === "ipmi" && b.cipherSuite !== undefined) {
    const c = b.cipherSuite;
    if (typeof c !== "number" || !Number.isInteger(c) || c < 0 || c > 17) {
      invalid("cipherSuite", "must be an integer from 0 to 17");
    }
    out.cipherSuite = c;
  }
  if (d === "redfish") {
    if (fingerprint !== undefined) out.tlsFingerprint = fingerprint;
    if (b.systemId !== undefined) {
      if (typeof b.systemId !== "string" || !SYSTEM_ID.test(b.systemId)) {
        invalid("systemId", "must be 1-64 of A-Z a-z 0-9 . _ -");
      }
      out.systemId = b.systemId;
    }
  }
  return out;
}

/** A user or password: a string of printable ASCII, 1 to `max` bytes. */
function credential(field: string, v: unknown, max: number): string {
  if (v === undefined) invalid(field, "required");
  if (typeof v !== "string" || v.length === 0) invalid(field, "must be a non-empty string");
  if (!PRINTABLE.test(v)) invalid(field, "must be printable ASCII (no control characters)");
  if (v.length > max) invalid(field, `must be at most ${max} bytes`);
  return v;
}

function parseBootMode(v: unknown): PowerBootMode {
  if (v !== "uefi" && v !== "legacy") invalid("bootMode", "must be uefi or legacy");
  return v;
}

/** A SHA-256 fingerprint as 64 hex digits, with or without colons, any case; kept lower case without colons. */
function parseFingerprint(v: unknown): string {
  if (typeof v !== "string" || v.length > 95) invalid("tlsFingerprint", "must be 64 hex digits");
  const hex = v.toLowerCase().replace(/:/g, "");
  if (!FINGERPRINT.test(hex)) invalid("tlsFingerprint", "must be 64 hex digits (colons allowed)");
  return hex;
}

/**
 * `host[:port]` with host an IPv4 address, `[IPv6]` or an RFC 1123 name (lower-cased), port 1-65535. Nothing
 * accepted can start with `-` or hold a space, so no tool can take it for an option.
 */
export function parseAddress(v: unknown): string {
  if (typeof v !== "string" || v.length === 0) invalid("address", "must be host[:port]");
  if (v.length > 262) invalid("address", "too long");
  let host: string;
  let port: string | undefined;
  if (v.startsWith("[")) {
    const end = v.indexOf("]");
    if (end < 0) invalid("address", "IPv6 address without its closing ']'");
    host = v.slice(1, end);
    const rest = v.slice(end + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) invalid("address", "only :port may follow ']'");
      port = rest.slice(1);
    }
    if (!isIpv6(host.toLowerCase())) invalid("address", "not an IPv6 address in brackets");
    host = `[${host.toLowerCase()}]`;
  } else {
    const colon = v.indexOf(":");
    if (colon >= 0 && v.indexOf(":", colon + 1) >= 0) invalid("address", "an IPv6 address goes in brackets");
    host = colon < 0 ? v : v.slice(0, colon);
    port = colon < 0 ? undefined : v.slice(colon + 1);
    host = host.toLowerCase();
    const m = IPV4.exec(host);
    if (m) {
      if (m.slice(1).some((o) => Number(o) > 255)) invalid("address", "not an IPv4 address");
    } else if (!isHostName(host)) {
      invalid("address", "host must be an IPv4 address, [IPv6] or an RFC 1123 name");
    }
  }
  // "This host": never a BMC nor a sleeping machine (Linux delivers it to ourselves); the WoL driver refused
  // it only at the action, after the PUT had taken it.
  if (/^(0\.0\.0\.0|\[(0{0,4}:){2,7}0{0,4}\])$/.test(host))
    invalid("address", "0.0.0.0 and [::] are this host");
  if (port !== undefined) {
    if (!PORT.test(port) || Number(port) > 65535) invalid("address", "port must be 1-65535");
    return `${host}:${port}`;
  }
  return host;
}

function isHostName(h: string): boolean {
  if (h.length === 0 || h.length > 253) return false;
  const labels = h.split(".");
  // All-numeric last label: a mistyped IPv4 address, not a name.
  if (/^\d+$/.test(labels[labels.length - 1] ?? "")) return false;
  return labels.every((l) => HOST_LABEL.test(l));
}

function isIpv6(h: string): boolean {
  if (h.length < 2 || h.length > 45) return false;
  let groups = h.split(":");
  // An embedded IPv4 (::ffff:10.0.0.1) counts as two groups.
  const last = groups[groups.length - 1] ?? "";
  if (last.includes(".")) {
    const m = IPV4.exec(last);
    if (!m || m.slice(1).some((o) => Number(o) > 255)) return false;
    groups = [...groups.slice(0, -1), "0", "0"];
  }
  const text = groups.join(":");
  const parts = text.split("::");
  if (parts.length > 2) return false;
  const sides = parts.map((p) => (p === "" ? [] : p.split(":")));
  if (!sides.every((s) => s.every((g) => HEX_GROUP.test(g)))) return false;
  const n = sides.reduce((a, s) => a + s.length, 0);
  return parts.length === 2 ? n <= 7 : n === 8;
}
