import type { Settings } from "../config/settings.js";

/**
 * The start-up warning when Enforcer answers DHCP but serves no TFTP: BIOS, UEFI PXE and Raspberry Pi clients
 * are still told to fetch their loader from this host over TFTP, and nothing answers them there. Undefined
 * when there is nothing to warn about.
 */
export function tftpOffNotice(settings: Pick<Settings, "dhcp" | "tftp">): string | undefined {
  if (settings.dhcp === "off" || settings.tftp) return undefined;
  return (
    `dhcp: --dhcp ${settings.dhcp} with --no-tftp: BIOS, UEFI PXE and Raspberry Pi clients are offered ` +
    "files over TFTP from this host and get no answer there; only UEFI HTTP boot and iPXE ROMs boot"
  );
}
