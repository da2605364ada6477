// `--dhcp server`'s lease answers laid out as DHCP messages, encoded and read back as a client would.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BIOS_ANSWER, PI_ANSWER } from "../core/testing/proxy-answers.js";
import { readFields } from "../protocols/dhcp/fields.js";
import { OPT } from "../protocols/dhcp/options.js";
import { decodeDhcp } from "../protocols/dhcp/packet.js";
import { clientView } from "../protocols/dhcp/testing/client-view.js";
import { handBuilt, hex, opt, uefiDiscover } from "../protocols/dhcp/testing/hand-built.js";
import { leaseReply } from "./dhcp-lease-reply.js";
import { proxyReply } from "./dhcp-reply.js";

const parts = { serverId: "10.9.0.1", network: { network: "10.9.0.0", prefix: 24 }, dns: ["10.9.0.1"] };

test("a Raspberry Pi's lease OFFER carries the proxy's Pi answer: PXEClient, the same option 43, 66, no boot file", () => {
  const request = decodeDhcp(uefiDiscover());
  const lease = clientView(
    leaseReply(
      request,
      { reply: "offer", yiaddr: "10.9.0.50", leaseSeconds: 600 },
      { ...parts, boot: PI_ANSWER },
    ),
  );
  const proxy = clientView(proxyReply(request, readFields(request), PI_ANSWER));
  assert.equal(lease.back.yiaddr, "10.9.0.50");
  assert.equal(lease.f.vendorClass, "PXEClient");
  assert.equal(lease.f.tftpServer, "10.9.0.1");
  assert.deepEqual(lease.back.options.get(OPT.VENDOR_SPECIFIC), proxy.back.options.get(OPT.VENDOR_SPECIFIC));
  assert.equal(lease.back.options.has(OPT.BOOTFILE), false, "no empty option 67");
  assert.equal(lease.back.file, "");
});

test("a BIOS PXE lease OFFER has its boot file and no option 60 (a plain offer's file, as dnsmasq's dhcp-boot)", () => {
  const request = decodeDhcp(uefiDiscover());
  const { back, f } = clientView(
    leaseReply(
      request,
      { reply: "offer", yiaddr: "10.9.0.51", leaseSeconds: 600 },
      {
        ...parts,
        boot: BIOS_ANSWER,
      },
    ),
  );
  assert.equal(back.file, "undionly.kpxe");
  assert.equal(f.bootfileName, "undionly.kpxe");
  assert.equal(back.options.has(OPT.VENDOR_CLASS), false);
  assert.equal(back.options.has(OPT.VENDOR_SPECIFIC), false);
});

test("an INFORM (a client with its own address) gets an ACK with mask, router, DNS and boot file, no address or lease time", () => {
  const inform = decodeDhcp(
    handBuilt({
      ciaddr: [10, 9, 0, 77],
      options: Buffer.concat([opt(53, hex("08")), opt(60, "PXEClient:Arch:00007:UNDI:003000"), hex("ff")]),
    }),
  );
  const boot = {
    ...BIOS_ANSWER,
    reply: "ack" as const,
    clientClass: "uefi-pxe" as const,
    bootFile: "ipxe.efi",
  };
  const { back, f } = clientView(
    leaseReply(inform, { reply: "inform-ack" }, { ...parts, router: "10.9.0.254", boot }),
  );
  assert.equal(back.options.get(OPT.MESSAGE_TYPE)?.[0], 5, "DHCPACK");
  assert.equal(back.yiaddr, "0.0.0.0", "no address is handed out to an INFORM");
  assert.equal(back.ciaddr, "10.9.0.77");
  assert.equal(back.options.has(OPT.LEASE_TIME), false, "no lease time (RFC 2131 §3.4)");
  assert.deepEqual([...(back.options.get(OPT.SUBNET_MASK) ?? [])], [255, 255, 255, 0]);
  assert.deepEqual([...(back.options.get(OPT.ROUTER) ?? [])], [10, 9, 0, 254]);
  assert.deepEqual([...(back.options.get(OPT.DNS) ?? [])], [10, 9, 0, 1]);
  assert.equal(f.bootfileName, "ipxe.efi");
  assert.equal(back.file, "ipxe.efi");
});
