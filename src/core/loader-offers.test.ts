// The per-machine loader for iPXE clients (label enforcer.dev/loader): an iPXE ROM gets the loader once per
// boot attempt, the iPXE it chains gets boot.ipxe; the memory that tells them apart expires and stays bounded.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseIpv4Cidr } from "../domain/ipv4-net.js";
import { newMachine, type Machine } from "../domain/machine.js";
import { parseMac, type Mac } from "../domain/mac.js";
import { DhcpProxy, type ProxyDecision, type ProxyDhcpRequest } from "./dhcp-proxy.js";
import { LOADER_MEMORY_MAX, LOADER_WINDOW_MS, LoaderOffers } from "./loader-offers.js";

const URL = "http://10.9.0.1:8080";
const ROM_MAC = "52:54:00:12:34:56";
/** What QEMU's BIOS iPXE ROM sends (option 175 present). */
const IPXE_BIOS = {
  mac: ROM_MAC,
  vendorClass: "PXEClient:Arch:00000:UNDI:002001",
  clientArch: [0],
  ipxeOptions: new Map([[0x10, Buffer.from([1])]]),
};
const IPXE_EFI = { ...IPXE_BIOS, vendorClass: "PXEClient:Arch:00007:UNDI:003010", clientArch: [7] };
const EDK2 = { mac: ROM_MAC, vendorClass: "PXEClient:Arch:00007:UNDI:003016", clientArch: [7] };

function labelled(value: string): Machine {
  return { ...newMachine(parseMac(ROM_MAC), "operator", "t"), labels: { "enforcer.dev/loader": value } };
}

function setup(machines: Machine[]) {
  let now = Date.parse("2026-11-27T00:00:00Z");
  const p = new DhcpProxy(
    {
      bootAddress: "10.9.0.1",
      bootUrl: URL,
      network: parseIpv4Cidr("10.9.0.0/24")!,
      knownOnly: false,
      loaders: new Set(["undionly.kpxe", "ipxe.efi", "snponly.efi"]),
    },
    (mac: Mac) => machines.find((m) => m.macs.includes(mac)),
    { now: () => new Date(now) },
  );
  return { p, advance: (ms: number) => (now += ms) };
}

function ask(hints: ProxyDhcpRequest["hints"], xid: number, port: "dhcp" | "boot-server" = "dhcp") {
  return {
    messageType: port === "dhcp" ? 1 : 3,
    port,
    hints,
    source: port === "dhcp" ? "0.0.0.0" : "10.9.0.120",
    ciaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    xid,
  } satisfies ProxyDhcpRequest;
}

const file = (d: ProxyDecision) => ("answer" in d ? d.answer.bootFile : `skip:${d.skip}`);

describe("a per-machine loader for iPXE ROMs (enforcer.dev/loader), once per boot attempt", () => {
  test("BIOS iPXE ROM labelled undionly.kpxe: the ROM's exchange gets the loader, the chained iPXE the script", () => {
    const { p, advance } = setup([labelled("undionly.kpxe")]);
    // The ROM: its DISCOVER and its port-4011 REQUEST share one xid, and both get the loader over TFTP.
    const offer = p.decide(ask(IPXE_BIOS, 0x1111));
    assert.ok("answer" in offer);
    assert.equal(offer.answer.bootFile, "undionly.kpxe");
    assert.equal(offer.answer.tftpServer, "10.9.0.1");
    assert.equal(offer.answer.clientClass, "ipxe");
    assert.equal(file(p.decide(ask(IPXE_BIOS, 0x1111, "boot-server"))), "undionly.kpxe");
    // The iPXE it loaded: a new exchange seconds later gets boot.ipxe, on both ports: no loop.
    advance(5_000);
    assert.equal(file(p.decide(ask(IPXE_BIOS, 0x2222))), `${URL}/boot.ipxe`);
    assert.equal(file(p.decide(ask(IPXE_BIOS, 0x2222, "boot-server"))), `${URL}/boot.ipxe`);
    // The next boot attempt, after the window: the ROM gets the loader again.
    advance(LOADER_WINDOW_MS);
    assert.equal(file(p.decide(ask(IPXE_BIOS, 0x3333))), "undionly.kpxe");
    assert.equal(file(p.decide(ask(IPXE_BIOS, 0x4444))), `${URL}/boot.ipxe`);
  });

  test("without the label, or with a loader the platform cannot run, iPXE always gets the script", () => {
    for (const m of [[], [labelled("snponly.efi")], [labelled("../../etc/passwd")]]) {
      const { p } = setup(m);
      assert.equal(file(p.decide(ask(IPXE_BIOS, 1))), `${URL}/boot.ipxe`);
    }
    // undionly.kpxe is a BIOS program: a UEFI iPXE labelled so gets the script.
    const { p } = setup([labelled("undionly.kpxe")]);
    assert.equal(file(p.decide(ask(IPXE_EFI, 1))), `${URL}/boot.ipxe`);
  });

  test("UEFI: an iPXE ROM labelled snponly.efi gets snponly.efi once; EDK2's offer counts as the attempt's", () => {
    const { p } = setup([labelled("snponly.efi")]);
    assert.equal(file(p.decide(ask(IPXE_EFI, 7))), "snponly.efi");
    assert.equal(file(p.decide(ask(IPXE_EFI, 8))), `${URL}/boot.ipxe`);
    // EDK2 (not iPXE) is offered its loader whatever the memory says, and that offer is remembered too.
    const edk = setup([labelled("snponly.efi")]);
    assert.equal(file(edk.p.decide(ask(EDK2, 1))), "snponly.efi");
    assert.equal(file(edk.p.decide(ask(IPXE_EFI, 2))), `${URL}/boot.ipxe`);
  });

  test("a flood of invented MACs is answered but never remembered; the memory itself is bounded, oldest evicted first", () => {
    const { p } = setup([labelled("undionly.kpxe")]);
    assert.equal(file(p.decide(ask(IPXE_BIOS, 1))), "undionly.kpxe");
    for (let i = 0; i < LOADER_MEMORY_MAX * 3; i++) {
      const mac = `02:00:${[i >> 16, (i >> 8) & 255, i & 255, 0].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
      assert.equal(file(p.decide(ask({ ...EDK2, mac }, i))), "ipxe.efi");
      assert.equal(file(p.decide(ask({ ...IPXE_BIOS, mac }, i))), `${URL}/boot.ipxe`);
    }
    // Only the labelled machine is remembered, and its chained iPXE still gets the script after the flood.
    assert.equal(p.rememberedLoaderOffers, 1);
    assert.equal(file(p.decide(ask(IPXE_BIOS, 2))), `${URL}/boot.ipxe`);
    let t = 0;
    const m = new LoaderOffers(() => t, 1000, 2);
    const [a, b, c] = ["02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03"].map(parseMac);
    m.offered(a!, 1);
    m.offered(b!, 1);
    m.offered(a!, 1); // refreshed: b is now the oldest
    m.offered(c!, 1);
    assert.deepEqual([m.chained(a!, 2), m.chained(b!, 2), m.chained(c!, 2)], [true, false, true]);
    t = 1000;
    assert.equal(m.chained(a!, 2), false, "expired at the end of the window");
  });
});
