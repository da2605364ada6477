// The proxy's answer laid out as a DHCP message, encoded and read back as a client would.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BIOS_ANSWER, PI_ANSWER } from "../core/testing/proxy-answers.js";
import { readFields } from "../protocols/dhcp/fields.js";
import { decodeDhcp } from "../protocols/dhcp/packet.js";
import { clientView } from "../protocols/dhcp/testing/client-view.js";
import { uefiDiscover } from "../protocols/dhcp/testing/hand-built.js";
import { proxyReply, proxyRequest } from "./dhcp-reply.js";

test("a proxy OFFER: yiaddr 0, siaddr and file, options 54/60/66/67/43, the client's 97 echoed", () => {
  const request = decodeDhcp(uefiDiscover());
  const fields = readFields(request);
  const { back, f } = clientView(proxyReply(request, fields, { ...BIOS_ANSWER, discoveryControl: 8 }));
  assert.equal(back.op, 2);
  assert.equal(back.xid, request.xid);
  assert.equal(back.yiaddr, "0.0.0.0");
  assert.equal(back.siaddr, "10.9.0.1");
  assert.equal(back.file, "undionly.kpxe");
  assert.equal(f.messageType, 2);
  assert.equal(f.serverId, "10.9.0.1");
  assert.equal(f.vendorClass, "PXEClient");
  assert.equal(f.tftpServer, "10.9.0.1");
  assert.equal(f.bootfileName, "undionly.kpxe");
  assert.equal(f.pxe?.discoveryControl, 8);
  assert.deepEqual(f.clientGuidRaw, fields.clientGuidRaw);
  assert.equal(back.options.has(50), false);
});

test("the request as the proxy reads it: port 4011 is the boot-server port", () => {
  const message = decodeDhcp(uefiDiscover());
  const r = proxyRequest(
    { message, fields: readFields(message) },
    { from: { address: "10.9.0.5", port: 68 }, localPort: 4011 },
    4011,
  );
  assert.equal(r.port, "boot-server");
  assert.equal(r.messageType, 1);
  assert.equal(r.source, "10.9.0.5");
});

test("a Pi answer: option 43 is the 'Raspberry Pi Boot' menu byte for byte as dnsmasq sends it, no option 67", () => {
  const request = decodeDhcp(uefiDiscover());
  const { back } = clientView(proxyReply(request, readFields(request), PI_ANSWER));
  // boot-net.adoc's capture of a working answer: 6.1.3.10.4.0.80.88.69.9.20.0.0.17."Raspberry Pi Boot".255
  assert.equal(
    back.options.get(43)?.toString("hex"),
    "0601030a04005058450914000011" + Buffer.from("Raspberry Pi Boot").toString("hex") + "ff",
  );
  assert.equal(back.options.has(67), false);
  assert.equal(back.file, "");
  assert.equal(readFields(back).tftpServer, "10.9.0.1");
});
