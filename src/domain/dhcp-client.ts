/**
 * Which kind of network-boot client sent a DHCP request, from what it says about itself: option 60 (vendor
 * class), 93 (architecture), 77 (user class), 175 (iPXE), 97 (client GUID) and the MAC. Pure: the wire
 * format is `protocols/dhcp`, what each class is offered is policy for a core service.
 */

/** What the classification reads from a decoded request (the codec's `DhcpFields` has these). */
export interface DhcpClientHints {
  /** Option 60, e.g. `PXEClient:Arch:00007:UNDI:003000`. */
  vendorClass?: string;
  /** Option 93: the architectures the client can boot, most preferred first (RFC 4578). */
  clientArch?: readonly number[];
  /** Option 77, as class names (iPXE sends the plain string `iPXE`). */
  userClass?: readonly string[];
  /** Option 175 (iPXE's encapsulated options): present in every iPXE request. */
  ipxeOptions?: ReadonlyMap<number, Uint8Array>;
  /** Option 97 raw (type byte and GUID): Pi 4 and 5 bootloaders put their fourcc `RPi4`/`RPi5` in it. */
  clientGuidRaw?: Uint8Array;
  /** The client's hardware address, `aa:bb:cc:dd:ee:ff`. */
  mac?: string;
}

/** The firmware platform, which decides the loader a client can run. */
/**
 * The boot file UEFI firmware is offered when it should boot its next option (its disk): no such file exists,
 * so the firmware's TFTP or HTTP read fails at once and its boot manager moves on (docs/dhcp.md, "The UEFI
 * local disk"). Its refusal is the plan, not a fault: the timeline gives it no hint.
 */
export const LOCAL_DISK_BOOT_FILE = "enforcer-local-disk";

/** The firmware platform a client's architecture (option 93) names. */
export type FirmwarePlatform = "bios" | "uefi-ia32" | "uefi-x64" | "uefi-arm32" | "uefi-arm64" | "unknown";

/** The class of a client. */
export type DhcpClientClass =
  /** A PXE ROM on legacy BIOS: wants a TFTP loader (`undionly.kpxe`). */
  | { kind: "bios-pxe"; platform: "bios"; arch: number }
  /** A UEFI PXE client (EDK2 and vendors'): wants a TFTP loader for its platform. */
  | { kind: "uefi-pxe"; platform: FirmwarePlatform; arch: number }
  /** UEFI HTTP boot (`HTTPClient`): wants the HTTP URL of a loader and option 60 `HTTPClient` back. */
  | { kind: "uefi-http"; platform: FirmwarePlatform; arch: number }
  /** iPXE itself (firmware ROM or a chained loader): wants the script URL, never the loader again. */
  | { kind: "ipxe"; platform: FirmwarePlatform; arch: number | undefined }
  /** A Raspberry Pi 3/4/5 bootloader: wants option 43 `Raspberry Pi Boot` and a TFTP server. */
  | { kind: "raspberry-pi"; platform: "unknown"; arch: number }
  /** Not a network-boot client (a plain DHCP client, an OS renewing its lease). */
  | { kind: "not-pxe" };

/** Option 93 values (IANA registry, RFC 4578 with erratum 4624) to platform, for the ones we have loaders for. */
const ARCH_PLATFORM: ReadonlyMap<number, FirmwarePlatform> = new Map<number, FirmwarePlatform>([
  [0, "bios"],
  [6, "uefi-ia32"],
  [7, "uefi-x64"],
  // RFC 4578 swapped 7 and 9; some real x64 firmware (IBM HS22) still sends 9 for x64.
  [9, "uefi-x64"],
  [10, "uefi-arm32"],
  [11, "uefi-arm64"],
  [15, "uefi-ia32"],
  [16, "uefi-x64"],
  [18, "uefi-arm32"],
  [19, "uefi-arm64"],
  [20, "bios"],
]);

/** OUIs of Raspberry Pi Foundation and Raspberry Pi Trading (IEEE registry), lower case. */
const PI_OUIS: ReadonlySet<string> = new Set([
  "b8:27:eb",
  "dc:a6:32",
  "e4:5f:01",
  "d8:3a:dd",
  "28:cd:c1",
  "2c:cf:67",
]);

/** The vendor class every Pi bootloader sends (a Pi 5 reports arch 0 too). */
const PI_VENDOR_CLASS = "PXEClient:Arch:00000:UNDI:002001";

/** The platform for an option 93 value. */
export function platformOfArch(arch: number | undefined): FirmwarePlatform {
  return arch === undefined ? "unknown" : (ARCH_PLATFORM.get(arch) ?? "unknown");
}

/** The architecture from option 93, else from the `Arch:NNNNN` field of the vendor class. */
function archOf(h: DhcpClientHints): number | undefined {
  if (h.clientArch && h.clientArch.length > 0) return h.clientArch[0];
  const m = /^(?:PXE|HTTP)Client:Arch:(\d{5})(?::|$)/.exec(h.vendorClass ?? "");
  return m ? Number(m[1]) : undefined;
}

/** Classifies a request. The order matters: iPXE also says `PXEClient`, and a Pi looks like a BIOS ROM. */
export function classifyDhcpClient(h: DhcpClientHints): DhcpClientClass {
  const arch = archOf(h);
  // iPXE first: it sends PXEClient too, and answering it like firmware hands it the loader again (a loop).
  if (h.ipxeOptions !== undefined || (h.userClass ?? []).includes("iPXE"))
    return { kind: "ipxe", platform: platformOfArch(arch), arch };
  const vc = h.vendorClass ?? "";
  if (vc.startsWith("HTTPClient"))
    return { kind: "uefi-http", platform: platformOfArch(arch), arch: arch ?? -1 };
  if (!vc.startsWith("PXEClient")) return { kind: "not-pxe" };
  if (isRaspberryPi(h)) return { kind: "raspberry-pi", platform: "unknown", arch: arch ?? 0 };
  if (arch === undefined || arch === 0) return { kind: "bios-pxe", platform: "bios", arch: 0 };
  return { kind: "uefi-pxe", platform: platformOfArch(arch), arch };
}

/**
 * A Pi sends the vendor class of a BIOS PXE ROM, so it is told apart by what a BIOS ROM never has: the
 * `RPi` fourcc at the start of its option 97 GUID (Pi 4 and 5 EEPROM bootloaders, the default since 2021), or
 * a Raspberry Pi MAC prefix (a Pi 3 ROM, or DHCP_OPTION97=0 in the EEPROM config).
 */
function isRaspberryPi(h: DhcpClientHints): boolean {
  if (h.vendorClass !== PI_VENDOR_CLASS) return false;
  const g = h.clientGuidRaw;
  // "RPi" after the type byte (RFC 4578 form), or at the start from a bootloader that leaves the type out.
  const at = g?.length === 17 ? 1 : 0;
  if (g && g.length >= 16 && g[at] === 0x52 && g[at + 1] === 0x50 && g[at + 2] === 0x69) return true;
  return h.mac !== undefined && PI_OUIS.has(h.mac.slice(0, 8).toLowerCase());
}
