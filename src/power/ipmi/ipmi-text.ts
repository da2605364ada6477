import { WITHHELD_WORDS } from "../../core/power-port.js";
import { EnforcerError } from "../../domain/errors.js";

/** IPMI over LAN's port (RMCP, UDP). */
export const IPMI_PORT = 623;

/** A BMC's host and UDP port, from a target address. */
export interface IpmiEndpoint {
  host: string;
  port: number;
}

/**
 * Splits `host[:port]` (IPv4, `[IPv6]` or a name, as parsePowerInput validated it) into host and port. It
 * checks again what would reach ipmitool's argv: a host that starts with `-` would read as an option.
 */
export function ipmiEndpoint(address: string): IpmiEndpoint {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+))(?::(\d{1,5}))?$/.exec(address);
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? IPMI_PORT : Number(m[3]);
  if (!host || host.startsWith("-") || port < 1 || port > 65535)
    throw new EnforcerError("ENF_ERR_POWER_INVALID", `not an IPMI address: ${clean(address, 80)}`);
  return { host, port };
}

/** `host:port` (`[v6]:port`) for messages. */
export function endpointText(e: IpmiEndpoint): string {
  return e.host.includes(":") ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/**
 * Text a BMC or its tool wrote, fit for a message: control characters become spaces, runs of space one,
 * cut to `max` characters.
 */
export function clean(text: string, max = 200): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ")
    .replace(/ {2,}/g, " ")
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `text`, or WITHHELD_WORDS when it holds `secret`: a tool that echoes it cannot leak it, nor where it stood. */
export function redact(text: string, secret: string | undefined): string {
  return secret && text.includes(secret) ? WITHHELD_WORDS : text;
}
