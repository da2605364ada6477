import type { ProxyAnswer, ProxyDhcpRequest } from "../core/dhcp-proxy.js";
import { MSG, type DhcpFields } from "../protocols/dhcp/fields.js";
import { ipBytes, OPT } from "../protocols/dhcp/options.js";
import type { DhcpMessage } from "../protocols/dhcp/packet.js";
import { encodePxeOptions } from "../protocols/dhcp/pxe-options.js";
import { replyFrame } from "../protocols/dhcp/reply-frame.js";
import type { DhcpRequest, DhcpRequestMeta } from "../protocols/dhcp/server.js";

/** The longest name the `file` field holds (128 bytes with its NUL); longer ones go in option 67 only. */
const FILE_FIELD = 127;

/** The Pi bootloader's option 43: the menu dnsmasq sends for `pxe-service=0,"Raspberry Pi Boot"` (both modes). */
export const PI_MENU = {
  discoveryControl: 3,
  menuPrompt: { timeout: 0, text: "PXE" },
  bootMenu: [{ type: 0, description: "Raspberry Pi Boot" }],
};

/** What the proxy service reads from a decoded request. */
export function proxyRequest(
  { message, fields }: DhcpRequest,
  meta: DhcpRequestMeta,
  pxePort: number,
): ProxyDhcpRequest {
  return {
    ...optional("messageType", fields.messageType),
    port: meta.localPort === pxePort ? "boot-server" : "dhcp",
    hints: fields,
    ...optional("serverId", fields.serverId),
    source: meta.from.address,
    ciaddr: message.ciaddr,
    giaddr: message.giaddr,
    ...optional("bootItem", fields.pxe?.bootItem),
    xid: message.xid,
  };
}

/**
 * Lays a proxy answer out as a DHCP message: RFC 2131's frame with yiaddr 0 (never an address), siaddr and
 * `file`, then options 54, 60, 66, 67, 43 and the client's own 97 echoed (PXE spec: the client checks it).
 */
export function proxyReply(request: DhcpMessage, fields: DhcpFields, a: ProxyAnswer): DhcpMessage {
  const frame = replyFrame(request, a.reply === "offer" ? MSG.OFFER : MSG.ACK);
  const options = new Map(frame.options);
  options.set(OPT.SERVER_ID, ipBytes(a.serverId));
  options.set(OPT.VENDOR_CLASS, Buffer.from(a.vendorClass, "latin1"));
  if (a.tftpServer !== undefined) options.set(OPT.TFTP_SERVER, Buffer.from(a.tftpServer, "latin1"));
  if (a.bootFile !== "") options.set(OPT.BOOTFILE, Buffer.from(a.bootFile, "latin1"));
  if (a.piMenu) options.set(OPT.VENDOR_SPECIFIC, encodePxeOptions(PI_MENU));
  else if (a.discoveryControl !== undefined || a.bootItem !== undefined)
    options.set(
      OPT.VENDOR_SPECIFIC,
      encodePxeOptions({
        ...optional("discoveryControl", a.discoveryControl),
        ...optional("bootItem", a.bootItem),
      }),
    );
  // Echoed only in its RFC 4578 shape (17 bytes): a client's oversized 97 must not make the reply too large.
  if (fields.clientGuidRaw?.length === 17) options.set(OPT.CLIENT_UUID, fields.clientGuidRaw);
  return {
    ...frame,
    siaddr: a.nextServer,
    sname: a.tftpServer ?? "",
    file: a.bootFile.length <= FILE_FIELD ? a.bootFile : "",
    options,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
