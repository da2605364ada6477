import { isIPv4, isIPv6 } from "node:net";
import { EnforcerError } from "../../domain/errors.js";
import { WOL_DEFAULT_ADDRESS } from "../../domain/power-input.js";
/** The UDP port of the discard service, which WoL tools use by default (some use 7, echo). */
const WOL_DEFAULT_PORT = 9;
const UNSPECIFIED = new Set(["0.0.0.0", "::", "::0"]);

/** A magic packet's destination: host (without brackets), port, and the socket family that reaches it. */
export interface WolDestination {
  host: string;
  port: number;
  family: "udp4" | "udp6";
  /** `host:port` as shown in the detail and in errors (`[v6]:port` for IPv6). */
  shown: string;
}

/**
 * Splits `host[:port]` (IPv4, `[IPv6]` or a name, already validated by parsePowerInput) into where to send.
 * Checked again here so that a record from an older or damaged store cannot make the driver send anywhere odd.
 */
export function parseWolAddress(address: string | undefined): WolDestination {
  const text = address === undefined || address === "" ? WOL_DEFAULT_ADDRESS : address;
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  const plain = bracketed ? null : /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  const host = bracketed?.[1] ?? plain?.[1];
  const portText = bracketed ? bracketed[2] : plain?.[2];
  const port = portText === undefined ? WOL_DEFAULT_PORT : Number(portText);
  const v6 = bracketed !== null && isIPv6(host ?? "");
  const ok =
    host !== undefined &&
    // "This host": Linux would deliver it to ourselves, never to a sleeping machine.
    !UNSPECIFIED.has(host) &&
    !host.startsWith("-") &&
    port >= 1 &&
    port <= 65535 &&
    (v6 || (!bracketed && (isIPv4(host) || /^[A-Za-z0-9.-]{1,253}$/.test(host))));
  if (!ok) {
    throw new EnforcerError(
      "ENF_ERR_POWER_INVALID",
      `address: not host[:port] for Wake-on-LAN: ${JSON.stringify(text.slice(0, 64))}`,
      { field: "address" },
    );
  }
  return { host, port, family: v6 ? "udp6" : "udp4", shown: v6 ? `[${host}]:${port}` : `${host}:${port}` };
}
