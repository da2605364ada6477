// What an attacker on the boot network controls reaches the proxy's decision and its reply: for any request
// that decodes, deciding never throws, and every answer encodes within the 576 bytes every client accepts
// (a reply that could not be encoded would be a request silently unanswered).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { DhcpProxy } from "../core/dhcp-proxy.js";
import { parseIpv4Cidr } from "../domain/ipv4-net.js";
import { readFields } from "../protocols/dhcp/fields.js";
import { decodeDhcp, encodeDhcp, type DhcpMessage } from "../protocols/dhcp/packet.js";
import { opt, uefiDiscover } from "../protocols/dhcp/testing/hand-built.js";
import { proxyReply, proxyRequest } from "./dhcp-reply.js";

const proxy = new DhcpProxy(
  {
    bootAddress: "10.9.0.1",
    // A long public URL: the boot file of iPXE and HTTP boot clients is built from it.
    bootUrl: `http://10.9.0.1:8080/${"p".repeat(90)}`,
    network: parseIpv4Cidr("10.9.0.0/24")!,
    knownOnly: false,
    loaders: new Set(["undionly.kpxe", "ipxe.efi", "ipxe-arm64.efi", "snponly.efi"]),
  },
  () => undefined,
);

/** Options a client chooses: its class-deciding ones with hostile values, and anything else. */
const clientOption = fc.oneof(
  fc
    .constantFrom(60, 77, 93, 94, 97, 175, 43, 53, 54, 55, 57, 61)
    .chain((code) => fc.uint8Array({ maxLength: 255 }).map((v) => opt(code, Buffer.from(v)))),
  fc.constantFrom(
    opt(60, "PXEClient:Arch:00000:UNDI:002001"),
    opt(60, "PXEClient:Arch:00011:UNDI:003000"),
    opt(60, "HTTPClient:Arch:00016:UNDI:003001"),
    opt(77, "iPXE"),
    opt(53, Buffer.from([3])),
    opt(53, Buffer.from([8])),
    opt(57, Buffer.from([2, 64])),
    opt(43, Buffer.from([71, 4, 0xff, 0xff, 0xff, 0xff, 255])),
  ),
);

test("any decodable request: the decision never throws, and every answer encodes within 576 bytes", () => {
  let answered = 0;
  fc.assert(
    fc.property(
      fc.array(clientOption, { maxLength: 8 }),
      fc.constantFrom(67, 4011),
      fc.constantFrom("0.0.0.0", "10.9.0.50", "192.168.1.2"),
      (extra, localPort, source) => {
        let message: DhcpMessage;
        try {
          message = decodeDhcp(uefiDiscover(extra));
        } catch {
          return; // too large or malformed: dropped before the proxy, tested with the codec
        }
        const fields = readFields(message);
        const decision = proxy.decide(
          proxyRequest({ message, fields }, { from: { address: source, port: 68 }, localPort }, 4011),
        );
        if ("skip" in decision) return;
        answered++;
        const bytes = encodeDhcp(proxyReply(message, fields, decision.answer), { maxSize: 576 });
        assert.ok(bytes.length <= 576);
      },
    ),
    { numRuns: 3000, interruptAfterTimeLimit: 15_000, seed: 20261127 },
  );
  assert.ok(answered > 100, `only ${answered} requests were answered: the property tested little`);
});
