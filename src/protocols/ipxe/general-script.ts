import { assertIpxeSafe } from "../../domain/ipxe-safe.js";

/** Where the general script looks, in order, before it gives up and boots the local disk. */
export interface GeneralScriptOptions {
  /** This Enforcer's base URL as booting machines reach it, without a trailing slash. */
  self: string;
  /** Other Enforcer instances to ask, in order. */
  remotes: readonly string[];
}

/**
 * The query string every request carries. String settings are escaped by iPXE itself with `:uristring`;
 * the MAC and UUID are binary settings (`:uristring` would emit their raw bytes), so they use formats made
 * only of hex digits and hyphens.
 */
export const IDENTITY_QUERY =
  "mac=${net0/mac:hexhyp}&uuid=${uuid}&serial=${serial:uristring}" +
  "&arch=${buildarch:uristring}&platform=${platform:uristring}";

/**
 * Renders `boot.ipxe`: this machine's own script, then the discovery script, then each remote Enforcer,
 * then the local disk. A non-2xx answer makes `chain` fail and the `||` branch moves on to the next source.
 */
export function renderGeneralScript(opts: GeneralScriptOptions): string {
  const sources = [
    { url: `${opts.self}/boot/machine`, what: "no config here" },
    { url: `${opts.self}/boot/discovery`, what: "no discovery" },
    ...opts.remotes.map((r, i) => ({
      url: `${r.replace(/\/+$/, "")}/boot/machine`,
      what: `remote ${i + 1}: nothing`,
    })),
  ];
  const lines = [
    "#!ipxe",
    "# Enforcer general boot script: own config, discovery, remote Enforcers, then the local disk.",
    `set enforcer-query ${IDENTITY_QUERY}`,
    "echo Enforcer: ${net0/mac} ${platform} ${buildarch}",
  ];
  for (const s of sources) {
    const url = assertIpxeSafe(`${s.url}?`, "source URL");
    lines.push(`chain --autofree ${url}\${enforcer-query} || echo Enforcer: ${s.what.replace(/\s+/g, " ")}`);
  }
  lines.push(
    "echo Enforcer: booting the local disk",
    "iseq ${platform} efi && exit 0 ||",
    "sanboot --no-describe --drive 0x80 || echo Enforcer: local disk boot failed",
    "exit 1",
    "",
  );
  return lines.join("\n");
}

/**
 * Throws ENF_ERR_IPXE_UNSAFE_VALUE unless the URL can be chained from a script. Checked where the URL is set
 * (flag, file, API), since a URL refused only at boot would fail every unknown machine's boot.
 */
export function checkDiscoveryUrl(discoveryUrl: string): string {
  return assertIpxeSafe(discoveryUrl, "discovery URL");
}

/** The script served when a machine should run discovery: chain the configured discovery script. */
export function renderDiscoveryScript(discoveryUrl: string, mac: string): string {
  const url = checkDiscoveryUrl(discoveryUrl);
  return [
    "#!ipxe",
    `echo Enforcer: discovery for ${assertIpxeSafe(mac, "MAC")}`,
    `chain --autofree ${url}`,
    "",
  ].join("\n");
}
