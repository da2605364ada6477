// A scripted DHCP client for the namespace lab (not real firmware: it sends what BIOS, UEFI, iPXE and plain
// clients send, built with Enforcer's codec), run inside the client namespace by `ip netns exec`. It sends one
// request from port 68, collects the replies with its xid for a while, and prints them as one JSON line.
// Usage: [ENFORCER_DHCP_CLIENT_MAC=hex] node scripted-dhcp-client.js KIND TYPE TO_ADDRESS TO_PORT WAIT_MS [CIADDR]
//   KIND: bios | uefi-x64 | ipxe | http-x64 | plain;  TYPE: discover | request
import { randomBytes } from "node:crypto";
import { encodePxeOptions } from "../../src/protocols/dhcp/pxe-options.js";
import { requestFrame } from "../../src/protocols/dhcp/request-frame.js";
import { exchange, pxeFields } from "./scripted-dhcp-io.js";

/** What each kind of client says about itself (option 60, 93, 94, 77, 175), as real ones do. */
const KINDS: Record<string, [number, Buffer][]> = {
  bios: [
    [60, Buffer.from("PXEClient:Arch:00000:UNDI:002001")],
    [93, Buffer.from([0, 0])],
    [94, Buffer.from([1, 2, 1])],
  ],
  "uefi-x64": [
    [60, Buffer.from("PXEClient:Arch:00007:UNDI:003000")],
    [93, Buffer.from([0, 7])],
    [94, Buffer.from([1, 3, 0])],
  ],
  ipxe: [
    [60, Buffer.from("PXEClient:Arch:00000:UNDI:002001")],
    [93, Buffer.from([0, 0])],
    [77, Buffer.from("iPXE")],
    [175, Buffer.from([0x13, 1, 1, 0xeb, 3, 1, 0, 0])],
  ],
  "http-x64": [
    [60, Buffer.from("HTTPClient:Arch:00016:UNDI:003001")],
    [93, Buffer.from([0, 16])],
  ],
  plain: [[12, Buffer.from("plain-client")]],
};

const [kind, type, toAddress, toPort, waitMs, ciaddr] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string | undefined,
];
const xid = randomBytes(4).readUInt32BE();
// A random MAC unless the caller names one (ENFORCER_DHCP_CLIENT_MAC, 12 hex digits): a test that registers it.
const named = process.env.ENFORCER_DHCP_CLIENT_MAC;
const mac = named ? Buffer.from(named, "hex") : Buffer.from([0x52, 0x54, 0x00, ...randomBytes(3)]);
const guid = Buffer.concat([Buffer.from([0]), randomBytes(16)]);
const pxe = kind !== "plain" && kind !== "http-x64";
exchange({
  request: requestFrame({
    xid,
    mac,
    secs: 4,
    ...(ciaddr ? { ciaddr } : {}),
    options: new Map<number, Buffer>([
      [53, Buffer.from([type === "request" ? 3 : 1])],
      [57, Buffer.from([0x05, 0xc0])],
      [55, Buffer.from([1, 3, 6, 43, 60, 66, 67, 97, 175])],
      ...(KINDS[kind] ?? []),
      ...(kind === "plain" ? [] : ([[97, guid]] as [number, Buffer][])),
      // A boot-server request names the menu item it chose (PXE spec), and expects it back.
      ...(type === "request" && pxe
        ? ([[43, encodePxeOptions({ bootItem: { type: 0, layer: 0 } })]] as [number, Buffer][])
        : []),
    ]),
  }),
  to: toAddress,
  port: Number(toPort),
  waitMs: Number(waitMs),
  head: { kind, xid, mac: mac.toString("hex") },
  describe: (m, f) => ({
    sname: m.sname,
    chaddrMatches: m.chaddr.subarray(0, 6).equals(mac),
    ...pxeFields(m, f, guid),
  }),
});
