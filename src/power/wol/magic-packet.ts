import type { Mac } from "../../domain/mac.js";

/** A magic packet's length: 6 bytes of 0xff, then the 6-byte MAC 16 times. */
export const MAGIC_PACKET_BYTES = 6 + 6 * 16;

/**
 * The Wake-on-LAN magic packet for `mac` (canonical, as parseMac gives it). A NIC armed for WoL scans every
 * frame it sees for this pattern anywhere in it, so the UDP payload is the pattern alone. The SecureOn
 * password (6 more bytes) is not supported: few NICs have it and it travels in clear anyway.
 */
export function magicPacket(mac: Mac): Buffer {
  const macBytes = Buffer.from(mac.replaceAll(":", ""), "hex");
  const packet = Buffer.alloc(MAGIC_PACKET_BYTES, 0xff);
  for (let i = 0; i < 16; i++) macBytes.copy(packet, 6 + i * 6);
  return packet;
}
