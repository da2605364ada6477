import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Value } from "@sinclair/typebox/value";
import { parse as parseYaml } from "yaml";
import { EnforcerError } from "../domain/errors.js";
import { checkDiscoveryUrl, generalSources } from "../domain/boot-script-checks.js";
import { ipv4Value, parseIpv4Cidr } from "../domain/ipv4-net.js";
import { NEGATABLE, SETTING_NAMES, SettingsSchema, type Settings } from "./settings.js";

type Raw = Record<string, unknown>;

/**
 * Loads settings from defaults < config file (`--config`/ENFORCER_CONFIG, YAML or JSON) < ENFORCER_* <
 * flags, validates them against the schema and deep-freezes the result. Any bad value throws
 * ENF_ERR_SETTINGS_INVALID with the setting's flag name in the message.
 */
export function loadSettings(argv: string[], env: NodeJS.ProcessEnv): Readonly<Settings> {
  const flags = parseFlags(argv);
  const file = (flags.config as string | undefined) ?? env.ENFORCER_CONFIG;
  delete flags.config;
  const merged: Raw = { ...(file ? readConfigFile(file) : {}), ...fromEnv(env), ...flags };
  checkWholeNumbers(merged);
  const withDefaults = Value.Default(SettingsSchema, Value.Clone(merged)) as Raw;
  const converted = Value.Convert(SettingsSchema, withDefaults) as Raw;
  const first = Value.Errors(SettingsSchema, converted).First();
  if (first) {
    const key = first.path.split("/")[1] ?? "";
    const name = SETTING_NAMES[key as keyof Settings];
    const setting = name ? `--${name.flag} (${name.env})` : `"${key}"`;
    const got = JSON.stringify(first.value);
    throw new EnforcerError(
      "ENF_ERR_SETTINGS_INVALID",
      name ? `${setting}: ${describeError(first)} (got ${got?.slice(0, 80)})` : `unknown setting ${setting}`,
      { setting: key },
    );
  }
  const settings = converted as Settings;
  if (settings.discovery && !settings.discoveryUrl && !settings.discoveryImage) {
    throw new EnforcerError(
      "ENF_ERR_SETTINGS_INVALID",
      "--discovery (ENFORCER_DISCOVERY) needs --discovery-image DIR (from `enforcer discovery build`) or --discovery-url URL",
      { setting: "discoveryUrl" },
    );
  }
  checkScriptValues(settings);
  checkDhcp(settings);
  return deepFreeze(settings);
}

/**
 * TypeBox's Convert reads an integer setting with parseInt, so `--retry-window 1e3` ran with 1 s,
 * `--seen-interval 1.5` with 1 and `httpPort: 80.9` in a file with 80, without a word: a whole number
 * must be written as one.
 */
function checkWholeNumbers(merged: Raw): void {
  const properties = SettingsSchema.properties as Record<string, { type?: unknown }>;
  for (const [key, v] of Object.entries(merged)) {
    if (properties[key]?.type !== "integer") continue;
    if (typeof v === "number" ? Number.isInteger(v) : typeof v === "string" && /^\s*[+-]?\d+\s*$/.test(v))
      continue;
    const n = SETTING_NAMES[key as keyof Settings];
    throw new EnforcerError(
      "ENF_ERR_SETTINGS_INVALID",
      `--${n.flag} (${n.env}): expected a whole number (got ${JSON.stringify(v)?.slice(0, 80)})`,
      { setting: key },
    );
  }
}

/** TypeBox says only "Expected union value" for a wrong choice: name the choices instead. */
function describeError(error: { message: string; schema: unknown }): string {
  const anyOf = (error.schema as { anyOf?: { const?: unknown }[] }).anyOf;
  const choices = anyOf?.map((s) => s.const);
  if (choices && choices.length > 0 && choices.every((c) => typeof c === "string")) {
    return `expected one of ${choices.join(", ")}`;
  }
  return error.message;
}

/**
 * URLs that end up in iPXE scripts pass the same checks as when they are set through the API: a URL the
 * schema allows but a script cannot carry would otherwise fail every boot that needs it.
 */
function checkScriptValues(s: Settings): void {
  const check = (key: "discoveryUrl" | "remote" | "publicUrl", fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      const n = SETTING_NAMES[key];
      throw new EnforcerError(
        "ENF_ERR_SETTINGS_INVALID",
        `--${n.flag} (${n.env}): ${(err as Error).message}`,
        { setting: key },
      );
    }
  };
  if (s.discoveryUrl !== undefined) check("discoveryUrl", () => checkDiscoveryUrl(s.discoveryUrl!));
  if (s.publicUrl !== undefined)
    check("publicUrl", () => generalSources({ self: s.publicUrl!.replace(/\/+$/, ""), remotes: [] }));
  check("remote", () => generalSources({ self: "http://127.0.0.1", remotes: s.remote }));
}

/** DHCP settings the schema cannot check alone. */
function checkDhcp(s: Settings): void {
  if (s.dhcp === "server" && s.dhcpRange === undefined)
    throw new EnforcerError(
      "ENF_ERR_DHCP_RANGE",
      "--dhcp server needs --dhcp-range START-END (ENFORCER_DHCP_RANGE): the addresses it may hand out",
      { setting: "dhcpRange" },
    );
  if (s.dhcpSubnet !== undefined && !parseIpv4Cidr(s.dhcpSubnet))
    throw new EnforcerError(
      "ENF_ERR_SETTINGS_INVALID",
      `--dhcp-subnet (ENFORCER_DHCP_SUBNET): ${s.dhcpSubnet} is not an IPv4 network like 10.0.0.0/24`,
      { setting: "dhcpSubnet" },
    );
  // The schema's pattern takes any three digits: with 999.1.1.1 the server started, and then every reply
  // failed to encode (ENF_ERR_DHCP_ENCODE), so no client ever got an address.
  const notAddress = (s.dhcpDns?.split(",") ?? []).find((a) => ipv4Value(a) === undefined);
  if (notAddress !== undefined)
    throw new EnforcerError(
      "ENF_ERR_SETTINGS_INVALID",
      `--dhcp-dns (ENFORCER_DHCP_DNS): ${notAddress} is not an IPv4 address`,
      { setting: "dhcpDns" },
    );
  if (s.dhcpRouter !== undefined && ipv4Value(s.dhcpRouter) === undefined)
    throw new EnforcerError(
      "ENF_ERR_SETTINGS_INVALID",
      `--dhcp-router (ENFORCER_DHCP_ROUTER): ${s.dhcpRouter} is not an IPv4 address`,
      { setting: "dhcpRouter" },
    );
  if (s.dhcpInterface !== undefined && s.dhcpSubnet !== undefined)
    throw new EnforcerError(
      "ENF_ERR_SETTINGS_INVALID",
      "--dhcp-interface and --dhcp-subnet both name the boot network: give one",
      { setting: "dhcpSubnet" },
    );
}

function parseFlags(argv: string[]): Raw {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {
    config: { type: "string" },
  };
  for (const [key, n] of Object.entries(SETTING_NAMES)) {
    const bool = key === "discovery" || key === "storeRecover" || key === "tftp" || key === "dhcpKnownOnly";
    options[n.flag] = { type: bool ? "boolean" : "string", multiple: key === "remote" || key === "serf" };
  }
  for (const key of NEGATABLE) options[`no-${SETTING_NAMES[key].flag}`] = { type: "boolean" };
  let values: Raw;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Raw;
  } catch (err) {
    // All of Node's lines: for `--seen-interval -1` the first says only "argument is ambiguous", the last
    // says to write `--seen-interval=-1`.
    throw new EnforcerError("ENF_ERR_SETTINGS_INVALID", (err as Error).message.replace(/\n/g, " "));
  }
  const out: Raw = {};
  for (const [key, n] of Object.entries(SETTING_NAMES))
    if (values[n.flag] !== undefined) out[key] = values[n.flag];
  for (const key of NEGATABLE) if (values[`no-${SETTING_NAMES[key].flag}`]) out[key] = false;
  if (values.config !== undefined) out.config = values.config;
  return out;
}

function fromEnv(env: NodeJS.ProcessEnv): Raw {
  const out: Raw = {};
  for (const [key, n] of Object.entries(SETTING_NAMES)) {
    const v = env[n.env];
    if (v === undefined || v === "") continue;
    out[key] = key === "remote" || key === "serf" ? v.split(/[\s,]+/).filter(Boolean) : v;
  }
  return out;
}

function readConfigFile(path: string): Raw {
  let parsed: unknown;
  try {
    const text = readFileSync(path, "utf8");
    parsed = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new EnforcerError(
      "ENF_ERR_SETTINGS_FILE",
      `cannot read config file ${path}: ${(err as Error).message}`,
      {
        path,
      },
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new EnforcerError("ENF_ERR_SETTINGS_FILE", `config file ${path} must hold a mapping of settings`, {
      path,
    });
  }
  // Accept the flag spelling (`http-port`) as well as the schema's (`httpPort`).
  const byFlag = new Map(Object.entries(SETTING_NAMES).map(([key, n]) => [n.flag, key]));
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [byFlag.get(k) ?? k, v]));
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object") {
    Object.values(v).forEach(deepFreeze);
    Object.freeze(v);
  }
  return v;
}
