import type { Settings } from "../config/settings.js";

/**
 * The start-up warning when no iPXE loader was found: BIOS and UEFI PXE clients fetch one over TFTP before
 * they can run `boot.ipxe`, and without it they fail with nothing in Enforcer's log to say why. It names
 * where Enforcer looked and the Debian package that puts the loaders there.
 */
export function noLoadersNotice(settings: Pick<Settings, "ipxeDir" | "tftpRoot">): string {
  const root = settings.tftpRoot ? `, nor under --tftp-root ${settings.tftpRoot}` : "";
  return (
    `no iPXE loaders (undionly.kpxe, ipxe.efi, snponly.efi) in ${settings.ipxeDir} (--ipxe-dir, ENFORCER_IPXE_DIR)${root}: ` +
    "PXE clients cannot chain into iPXE until they are there; install Debian's ipxe package " +
    "(sudo apt-get install ipxe) or point --ipxe-dir at your distribution's iPXE directory. " +
    "UEFI HTTP boot and machines with iPXE in ROM still boot"
  );
}
