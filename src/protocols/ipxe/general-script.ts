import type { GeneralScriptInputs } from "../../domain/boot-decision.js";
import { checkDiscoveryUrl, generalSources } from "../../domain/boot-script-checks.js";
import { assertIpxeSafe } from "../../domain/ipxe-safe.js";

/**
 * The query string every request carries. String settings are escaped by iPXE itself with `:uristring`;
 * the MAC and UUID are binary settings (`:uristring` would emit their raw bytes), so they use formats made
 * only of hex digits and hyphens.
 *
 * The MAC is `${netX/mac}`, the NIC iPXE booted from, not `${net0/mac}` (merely the first NIC probed) nor a
 * bare `${mac}` (whichever settings block answers first). `netX` names the most recently opened network
 * device (ipxe/ipxe src/net/netdev_settings.c netdev_redirect, src/net/netdevice.c last_opened_netdev; in
 * every iPXE since 2013, commit 66ea458). autoboot's netboot() closes every other NIC and opens the one it
 * boots from (src/usr/autoboot.c), and when firmware PXE chained iPXE it boots only the NIC it was loaded
 * from; `dhcp` in an embedded script stops at the first NIC that gets an address, the last one it opened
 * (src/hci/commands/ifmgmt_cmd.c). See docs/dhcp.md, "Which NIC names a machine".
 */
export const IDENTITY_QUERY =
  "mac=${netX/mac:hexhyp}&uuid=${uuid}&serial=${serial:uristring}" +
  "&arch=${buildarch:uristring}&platform=${platform:uristring}";

/**
 * Renders `boot.ipxe`: this machine's own script, then the discovery script, then each remote Enforcer,
 * then the local disk. A non-2xx answer makes `chain` fail and the `||` branch moves on to the next source.
 */
export function renderGeneralScript(opts: GeneralScriptInputs): string {
  const lines = [
    "#!ipxe",
    "# Enforcer general boot script: own config, discovery, remote Enforcers, then the local disk.",
    `set enforcer-query ${IDENTITY_QUERY}`,
    "echo Enforcer: ${netX/mac} ${platform} ${buildarch}",
  ];
  for (const s of generalSources(opts)) {
    lines.push(
      `chain --autofree ${s.url}\${enforcer-query} || echo Enforcer: ${s.what.replace(/\s+/g, " ")}`,
    );
  }
  // On efi, iPXE's exit status becomes the image's EFI status: EDK2's boot manager moves on to the next boot
  // option (the disk) only when an option fails; on success OVMF opens its setup menu and waits for a key.
  // So `exit 1` on efi too (docs/dhcp.md, "The UEFI local disk").
  lines.push(
    "echo Enforcer: booting the local disk",
    "iseq ${platform} efi && exit 1 ||",
    "sanboot --no-describe --drive 0x80 || echo Enforcer: local disk boot failed",
    "exit 1",
    "",
  );
  return lines.join("\n");
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

/**
 * The general script for the inputs, rendered again only when they change: every boot fetches it, and the
 * public URL and the remotes change only when an operator says so. One memo per edge that serves it.
 */
export function generalScriptMemo(): (inputs: GeneralScriptInputs) => string {
  let key: string | undefined;
  let script = "";
  return (inputs) => {
    const k = `${inputs.self} ${inputs.remotes.join(" ")}`;
    if (k !== key) {
      script = renderGeneralScript(inputs);
      key = k;
    }
    return script;
  };
}
