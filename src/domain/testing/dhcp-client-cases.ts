// Client classes from what real firmware sends (vendor classes from protocols.md §3.10, §4.1 and the lab):
// the classification test and the proxyDHCP decision test both run over them.
import type { DhcpClientClass, DhcpClientHints } from "../dhcp-client.js";

/** Option 175 of an iPXE build (a feature flag): only its presence matters. */
export const IPXE_FEATURES = new Map([[0x13, Uint8Array.of(1)]]);
/** Option 97 of a Pi 4: type 0, fourcc "RPi4" little-endian, board revision, MAC low bytes, serial. */
export const PI4_GUID = Uint8Array.of(
  0,
  0x52,
  0x50,
  0x69,
  0x34,
  0x11,
  0x31,
  0xc0,
  0,
  0x32,
  0x11,
  0x22,
  0x33,
  1,
  2,
  3,
  4,
);
/** Option 97 as OVMF sends it. */
export const EDK2_GUID = Uint8Array.of(
  0,
  0x78,
  0x56,
  0x34,
  0x12,
  0x34,
  0x12,
  0x78,
  0x56,
  0x9a,
  0xbc,
  0xde,
  0xf0,
  1,
  2,
  3,
  4,
);

/** Real clients' hints (name, what they send) and the class each must get. */
export const DHCP_CLIENT_CASES: [string, DhcpClientHints, DhcpClientClass][] = [
  [
    "EDK2 UEFI x64 PXE (OVMF, seen on the lab)",
    { vendorClass: "PXEClient:Arch:00007:UNDI:003000", clientArch: [7], clientGuidRaw: EDK2_GUID },
    { kind: "uefi-pxe", platform: "uefi-x64", arch: 7 },
  ],
  [
    "old x64 firmware that sends arch 9 (IBM HS22)",
    { vendorClass: "PXEClient:Arch:00009:UNDI:003016", clientArch: [9] },
    { kind: "uefi-pxe", platform: "uefi-x64", arch: 9 },
  ],
  [
    "UEFI ia32",
    { vendorClass: "PXEClient:Arch:00006:UNDI:003016", clientArch: [6] },
    { kind: "uefi-pxe", platform: "uefi-ia32", arch: 6 },
  ],
  [
    "UEFI arm64",
    { vendorClass: "PXEClient:Arch:00011:UNDI:003000", clientArch: [11] },
    { kind: "uefi-pxe", platform: "uefi-arm64", arch: 11 },
  ],
  [
    "UEFI arm64 without option 93: the arch comes from the vendor class",
    { vendorClass: "PXEClient:Arch:00011:UNDI:003000" },
    { kind: "uefi-pxe", platform: "uefi-arm64", arch: 11 },
  ],
  [
    "BIOS PXE ROM (Intel/Realtek UNDI 2.1)",
    { vendorClass: "PXEClient:Arch:00000:UNDI:002001", clientArch: [0], mac: "00:1b:21:aa:bb:cc" },
    { kind: "bios-pxe", platform: "bios", arch: 0 },
  ],
  [
    "old PXE ROM with a bare `PXEClient` and no option 93",
    { vendorClass: "PXEClient" },
    { kind: "bios-pxe", platform: "bios", arch: 0 },
  ],
  [
    "UEFI HTTP boot x64",
    { vendorClass: "HTTPClient:Arch:00016:UNDI:003001", clientArch: [16] },
    { kind: "uefi-http", platform: "uefi-x64", arch: 16 },
  ],
  [
    "UEFI HTTP boot arm64",
    { vendorClass: "HTTPClient:Arch:00019:UNDI:003000", clientArch: [19] },
    { kind: "uefi-http", platform: "uefi-arm64", arch: 19 },
  ],
  [
    "iPXE x64 EFI chained from the firmware (user class iPXE and 175)",
    {
      vendorClass: "PXEClient:Arch:00007:UNDI:003010",
      clientArch: [7],
      userClass: ["iPXE"],
      ipxeOptions: IPXE_FEATURES,
    },
    { kind: "ipxe", platform: "uefi-x64", arch: 7 },
  ],
  [
    "QEMU's BIOS iPXE ROM: looks like a BIOS PXE ROM but has 175",
    { vendorClass: "PXEClient:Arch:00000:UNDI:002001", clientArch: [0], ipxeOptions: IPXE_FEATURES },
    { kind: "ipxe", platform: "bios", arch: 0 },
  ],
  [
    "iPXE whose 175 was stripped by a relay: the user class alone",
    { vendorClass: "PXEClient:Arch:00000:UNDI:002001", userClass: ["iPXE"] },
    { kind: "ipxe", platform: "bios", arch: 0 },
  ],
  [
    "Raspberry Pi 4 EEPROM bootloader (RPi4 fourcc in option 97)",
    {
      vendorClass: "PXEClient:Arch:00000:UNDI:002001",
      clientArch: [0],
      clientGuidRaw: PI4_GUID,
      mac: "dc:a6:32:11:22:33",
    },
    { kind: "raspberry-pi", platform: "unknown", arch: 0 },
  ],
  [
    "Raspberry Pi with DHCP_OPTION97=0: known by its MAC prefix",
    { vendorClass: "PXEClient:Arch:00000:UNDI:002001", mac: "E4:5F:01:00:00:01" },
    { kind: "raspberry-pi", platform: "unknown", arch: 0 },
  ],
  [
    "a Pi MAC with a UEFI vendor class (a Pi 4 running UEFI firmware) is UEFI, not the Pi bootloader",
    { vendorClass: "PXEClient:Arch:00011:UNDI:003000", clientArch: [11], mac: "dc:a6:32:11:22:33" },
    { kind: "uefi-pxe", platform: "uefi-arm64", arch: 11 },
  ],
  ["busybox udhcpc (no vendor class)", {}, { kind: "not-pxe" }],
  ["a Linux dhclient", { vendorClass: "dhcpcd-9.4.1:Linux-6.1.0:x86_64:GenuineIntel" }, { kind: "not-pxe" }],
  ["Windows", { vendorClass: "MSFT 5.0" }, { kind: "not-pxe" }],
  [
    "an unknown architecture is UEFI PXE with an unknown platform",
    { vendorClass: "PXEClient:Arch:00025:UNDI:003000", clientArch: [25] },
    { kind: "uefi-pxe", platform: "unknown", arch: 25 },
  ],
];
