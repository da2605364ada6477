import type { DhcpClientHints } from "../../domain/dhcp-client.js";
import { ipText, OPT, readSubOptions } from "./options.js";
import type { DhcpMessage } from "./packet.js";
import { decodePxeOptions, decodeUserClass, type PxeVendorOptions } from "./pxe-options.js";

/** DHCP message types (option 53, RFC 2132 §9.6). */
export const MSG = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;

/**
 * What a request says, read from its options. A field is absent when its option is absent or not of the shape
 * its RFC gives (the raw bytes stay in `options`): firmware gets these wrong often enough (option 97 of the
 * wrong length, say) that a wrong shape must not cost the whole request.
 */
export interface DhcpFields extends DhcpClientHints {
  clientGuidRaw?: Buffer;
  ipxeOptions?: Map<number, Buffer>;
  messageType?: number;
  /** The hardware address as `aa:bb:cc:dd:ee:ff` when htype is Ethernet (1) and hlen 6. */
  mac?: string;
  serverId?: string;
  requestedIp?: string;
  parameterList?: number[];
  maxMessageSize?: number;
  hostname?: string;
  /** Option 66: the TFTP server's name (or address as text), in a reply. */
  tftpServer?: string;
  /** Option 67: the boot file name, in a reply (or when `file` was overloaded). */
  bootfileName?: string;
  clientId?: Buffer;
  /** Option 94: interface type (1 UNDI) and version. */
  clientNdi?: { type: number; major: number; minor: number };
  /** Option 97 as UUID text, the first three fields byte-swapped as firmware sends them (EFI GUID order). */
  clientUuid?: string;
  /** Option 43 as PXE sub-options, when it parses as such. */
  pxe?: PxeVendorOptions;
}

/** Reads the fields of a decoded message; never throws. */
export function readFields(m: DhcpMessage): DhcpFields {
  const o = m.options;
  const f: DhcpFields = {};
  const one = (code: number) => {
    const v = o.get(code);
    return v && v.length === 1 ? v[0] : undefined;
  };
  const ip = (code: number) => {
    const v = o.get(code);
    return v && v.length === 4 ? ipText(v) : undefined;
  };
  const str = (code: number) => o.get(code)?.toString("latin1");
  set(f, "messageType", one(OPT.MESSAGE_TYPE));
  if (m.htype === 1 && m.hlen === 6)
    f.mac = [...m.chaddr.subarray(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join(":");
  set(f, "serverId", ip(OPT.SERVER_ID));
  set(f, "requestedIp", ip(OPT.REQUESTED_IP));
  const params = o.get(OPT.PARAMETER_LIST);
  if (params) f.parameterList = [...params];
  const mms = o.get(OPT.MAX_MESSAGE_SIZE);
  if (mms?.length === 2) f.maxMessageSize = mms.readUInt16BE(0);
  set(f, "hostname", str(OPT.HOSTNAME));
  set(f, "tftpServer", str(OPT.TFTP_SERVER));
  set(f, "bootfileName", str(OPT.BOOTFILE));
  set(f, "vendorClass", str(OPT.VENDOR_CLASS));
  set(f, "clientId", o.get(OPT.CLIENT_ID));
  const uc = o.get(OPT.USER_CLASS);
  if (uc && uc.length > 0) f.userClass = decodeUserClass(uc);
  const arch = o.get(OPT.CLIENT_ARCH);
  if (arch && arch.length > 0 && arch.length % 2 === 0)
    f.clientArch = Array.from({ length: arch.length / 2 }, (_, i) => arch.readUInt16BE(2 * i));
  const ndi = o.get(OPT.CLIENT_NDI);
  if (ndi?.length === 3) f.clientNdi = { type: ndi[0]!, major: ndi[1]!, minor: ndi[2]! };
  const uuid = o.get(OPT.CLIENT_UUID);
  if (uuid) f.clientGuidRaw = uuid;
  if (uuid?.length === 17 && uuid[0] === 0) f.clientUuid = guidText(uuid.subarray(1));
  const v43 = o.get(OPT.VENDOR_SPECIFIC);
  if (v43 && f.vendorClass?.startsWith("PXEClient")) set(f, "pxe", decodePxeOptions(v43));
  const v175 = o.get(OPT.IPXE);
  if (v175) f.ipxeOptions = readSubOptions(v175) ?? new Map();
  return f;
}

function set<K extends keyof DhcpFields>(f: DhcpFields, key: K, value: DhcpFields[K] | undefined): void {
  if (value !== undefined) f[key] = value;
}

/** 16 GUID bytes as UUID text; the first three fields are little-endian on the wire (SMBIOS/EFI order). */
function guidText(g: Buffer): string {
  const h = (b: Buffer) => b.toString("hex");
  const rev = (s: number, e: number) => h(Buffer.from(g.subarray(s, e)).reverse());
  return `${rev(0, 4)}-${rev(4, 6)}-${rev(6, 8)}-${h(g.subarray(8, 10))}-${h(g.subarray(10, 16))}`;
}
