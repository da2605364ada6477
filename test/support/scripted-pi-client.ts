// A scripted Raspberry Pi 4 EEPROM bootloader's DHCP request (no Pi can run here): what the bootloader sends,
// per Raspberry Pi's documentation (boot-net.adoc's capture and eeprom-bootloader.adoc's DHCP_OPTION97),
// built with Enforcer's codec and run in the client namespace by `ip netns exec`. It sends one DISCOVER from
// port 68 with the MAC and serial given, collects the replies with its xid, prints them as one JSON line.
// Usage: node scripted-pi-client.js MAC SERIAL WAIT_MS
import { randomBytes } from "node:crypto";
import { requestFrame } from "../../src/protocols/dhcp/request-frame.js";
import { exchange, pxeFields } from "./scripted-dhcp-io.js";

const [macText, serial, waitMs] = process.argv.slice(2) as [string, string, string];
const mac = Buffer.from(macText.replace(/[:-]/g, ""), "hex");
/** Option 97: type 0, then `RPi4` (0x34695052 little-endian), board revision, MAC low bytes, serial. */
const guid = Buffer.concat([
  Buffer.from([0]),
  Buffer.from("RPi4", "latin1"),
  Buffer.from([0x11, 0x31, 0xc0, 0x00]),
  mac.subarray(2),
  Buffer.from(serial, "hex").reverse(),
]);
const xid = randomBytes(4).readUInt32BE();
exchange({
  request: requestFrame({
    xid,
    mac,
    options: new Map<number, Buffer>([
      [53, Buffer.from([1])],
      // The parameter list of boot-net.adoc's capture: 43, 60, 67, 128-135, 66.
      [55, Buffer.from([43, 60, 67, 128, 129, 130, 131, 132, 133, 134, 135, 66])],
      [93, Buffer.from([0, 0])],
      [94, Buffer.from([1, 2, 1])],
      [97, guid],
      [60, Buffer.from("PXEClient:Arch:00000:UNDI:002001", "latin1")],
    ]),
  }),
  to: "255.255.255.255",
  port: 67,
  waitMs: Number(waitMs),
  head: { xid },
  describe: (m, f) => pxeFields(m, f, guid),
});
