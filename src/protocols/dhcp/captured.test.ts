// DHCPDISCOVERs captured from real firmware on the namespace lab (2026-11-27): QEMU on a tap in a bridge, a
// plain UDP socket on port 67 writing each datagram as hex (src/protocols/dhcp/testdata/). EDK2 is OVMF's own
// UEFI PXE client (virtio-net with `romfile=` empty); the BIOS one is the NIC's iPXE ROM (Debian's ipxe-qemu).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { classifyDhcpClient } from "../../domain/dhcp-client.js";
import { MSG, readFields } from "./fields.js";
import { decodeDhcp, encodeDhcp, wantsBroadcast } from "./packet.js";

const captured = (name: string) =>
  Buffer.from(readFileSync(`src/protocols/dhcp/testdata/${name}.hex`, "utf8").trim(), "hex");

test("EDK2 (OVMF x64 UEFI PXE): decoded fields, class uefi-pxe x64, and re-encoded byte for byte", () => {
  const raw = captured("edk2-ovmf-x64-discover");
  const m = decodeDhcp(raw);
  const f = readFields(m);
  assert.equal(f.messageType, MSG.DISCOVER);
  assert.equal(f.mac, "52:54:00:aa:00:07");
  assert.ok(wantsBroadcast(m), "EDK2 asks for broadcast replies");
  assert.equal(f.vendorClass, "PXEClient:Arch:00007:UNDI:003000");
  assert.deepEqual(f.clientArch, [7]);
  assert.deepEqual(f.clientNdi, { type: 1, major: 3, minor: 0 });
  assert.equal(f.maxMessageSize, 1472);
  assert.equal(f.clientGuidRaw?.length, 17);
  assert.equal(f.userClass, undefined);
  assert.equal(f.ipxeOptions, undefined);
  assert.ok(f.parameterList?.includes(43) && f.parameterList.includes(66) && f.parameterList.includes(67));
  assert.deepEqual(classifyDhcpClient(f), { kind: "uefi-pxe", platform: "uefi-x64", arch: 7 });
  assert.deepEqual(encodeDhcp(m), raw);
});

test("iPXE BIOS ROM (QEMU virtio-net): user class iPXE, option 175 features, class ipxe, re-encoded byte for byte", () => {
  const raw = captured("ipxe-bios-rom-discover");
  const m = decodeDhcp(raw);
  const f = readFields(m);
  assert.equal(f.messageType, MSG.DISCOVER);
  assert.equal(f.mac, "52:54:00:aa:00:08");
  assert.equal(f.vendorClass, "PXEClient:Arch:00000:UNDI:002001");
  assert.deepEqual(f.userClass, ["iPXE"]);
  assert.deepEqual(f.clientArch, [0]);
  assert.deepEqual(f.clientNdi, { type: 1, major: 2, minor: 1 });
  assert.equal(f.clientId?.toString("hex"), "01525400aa0008");
  // 0x13 HTTP is there, 0x14 HTTPS is not: Debian's iPXE cannot do HTTPS.
  assert.equal(f.ipxeOptions?.get(0x13)?.toString("hex"), "01");
  assert.equal(f.ipxeOptions?.has(0x14), false);
  assert.ok(f.parameterList?.includes(175));
  assert.deepEqual(classifyDhcpClient(f), { kind: "ipxe", platform: "bios", arch: 0 });
  assert.deepEqual(encodeDhcp(m), raw);
});
