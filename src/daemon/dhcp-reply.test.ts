// The proxy's answer laid out as a DHCP message, encoded and read back as a client would.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readFields } from "../protocols/dhcp/fields.js";
import { decodeDhcp, encodeDhcp } from "../protocols/dhcp/packet.js";
import { uefiDiscover } from "../protocols/dhcp/testing/hand-built.js";
import { proxyReply, proxyRequest } from "./dhcp-reply.js";

test("a proxy OFFER: yiaddr 0, siaddr and file, options 54/60/66/67/43, the client's 97 echoed", () => {
  const request = decodeDhcp(uefiDiscover());
  const fields = readFields(request);
  const reply = proxyReply(request, fields, {
    reply: "offer",
    clientClass: "bios-pxe",
    vendorClass: "PXEClient",
    serverId: "10.9.0.1",
    nextServer: "10.9.0.1",
    bootFile: "undionly.kpxe",
    tftpServer: "10.9.0.1",
    discoveryControl: 8,
  });
  const back = decodeDhcp(encodeDhcp(reply, { maxSize: 576 }));
  const f = readFields(back);
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
