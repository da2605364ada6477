// Proxy answers as the boot policy gives them, for the tests that lay them out as DHCP messages.
import type { ProxyAnswer } from "../dhcp-proxy.js";

/** A BIOS PXE ROM's answer from the server at 10.9.0.1: undionly.kpxe over TFTP. */
export const BIOS_ANSWER: ProxyAnswer = {
  reply: "offer",
  clientClass: "bios-pxe",
  vendorClass: "PXEClient",
  serverId: "10.9.0.1",
  nextServer: "10.9.0.1",
  bootFile: "undionly.kpxe",
  tftpServer: "10.9.0.1",
};

/** A Raspberry Pi's answer from the server at 10.9.0.1: the Pi menu in option 43, TFTP server, no boot file. */
export const PI_ANSWER: ProxyAnswer = {
  reply: "offer",
  clientClass: "raspberry-pi",
  vendorClass: "PXEClient",
  serverId: "10.9.0.1",
  nextServer: "10.9.0.1",
  bootFile: "",
  tftpServer: "10.9.0.1",
  piMenu: true,
};
