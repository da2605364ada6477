// The proxyDHCP decision over real clients' DHCP hints (the classification test's table): what each firmware
// class is offered, and who gets nothing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DhcpClientClass } from "../domain/dhcp-client.js";
import { parseIpv4Cidr } from "../domain/ipv4-net.js";
import { newMachine, type Machine } from "../domain/machine.js";
import { parseMac, type Mac } from "../domain/mac.js";
import { DHCP_CLIENT_CASES } from "../domain/testing/dhcp-client-cases.js";
import { DhcpProxy, type ProxyDecision, type ProxyDhcpRequest, type ProxyDhcpSetup } from "./dhcp-proxy.js";

const BOOT = "10.9.0.1";
const URL = "http://10.9.0.1:8080";
/** What Debian's ipxe package gives: no arm64 or ia32 loader. */
const DEBIAN = new Set(["undionly.kpxe", "ipxe.efi", "snponly.efi"]);

function proxy(over: Partial<ProxyDhcpSetup> = {}, machines: Machine[] = []): DhcpProxy {
  const setup: ProxyDhcpSetup = {
    bootAddress: BOOT,
    bootUrl: URL,
    network: parseIpv4Cidr("10.9.0.0/24")!,
    knownOnly: false,
    loaders: DEBIAN,
    ...over,
  };
  return new DhcpProxy(setup, (mac: Mac) => machines.find((m) => m.macs.includes(mac)));
}

function discover(hints: ProxyDhcpRequest["hints"], over: Partial<ProxyDhcpRequest> = {}): ProxyDhcpRequest {
  return {
    messageType: 1,
    port: "dhcp",
    hints,
    source: "0.0.0.0",
    ciaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    ...over,
  };
}

/** The brief's table: what each class gets from a Debian host's boot files. */
function expected(cls: DhcpClientClass): ProxyDecision | { skip: string } {
  const base = { reply: "offer", serverId: BOOT, nextServer: BOOT } as const;
  switch (cls.kind) {
    case "not-pxe":
      return { skip: "not-pxe" };
    case "raspberry-pi":
      return {
        answer: {
          ...base,
          clientClass: "raspberry-pi",
          vendorClass: "PXEClient",
          bootFile: "",
          tftpServer: BOOT,
          piMenu: true,
        },
      };
    case "ipxe":
      return {
        answer: {
          ...base,
          clientClass: "ipxe",
          vendorClass: "PXEClient",
          bootFile: `${URL}/boot.ipxe`,
          discoveryControl: 8,
        },
      };
    case "bios-pxe":
      return {
        answer: {
          ...base,
          clientClass: "bios-pxe",
          vendorClass: "PXEClient",
          bootFile: "undionly.kpxe",
          tftpServer: BOOT,
          discoveryControl: 8,
        },
      };
    case "uefi-pxe":
      return cls.platform === "uefi-x64"
        ? {
            answer: {
              ...base,
              clientClass: "uefi-pxe",
              vendorClass: "PXEClient",
              bootFile: "ipxe.efi",
              tftpServer: BOOT,
            },
          }
        : { skip: "no-loader" };
    case "uefi-http":
      return cls.platform === "uefi-x64"
        ? {
            answer: {
              ...base,
              clientClass: "uefi-http",
              vendorClass: "HTTPClient",
              bootFile: `${URL}/tftp/ipxe.efi`,
            },
          }
        : { skip: "no-loader" };
  }
}

describe("proxyDHCP answer for each real client class (Debian's loaders)", () => {
  const p = proxy();
  for (const [name, hints, cls] of DHCP_CLIENT_CASES)
    test(name, () => {
      const got = p.decide(discover(hints));
      const want = expected(cls);
      if ("skip" in want) assert.equal("skip" in got ? got.skip : "answered", want.skip);
      else assert.deepEqual(got, want);
    });
});

const BIOS = { vendorClass: "PXEClient:Arch:00000:UNDI:002001", clientArch: [0], mac: "00:1b:21:aa:bb:cc" };
const UEFI = { vendorClass: "PXEClient:Arch:00007:UNDI:003000", clientArch: [7], mac: "52:54:00:12:34:56" };
const ARM64 = { vendorClass: "PXEClient:Arch:00011:UNDI:003000", clientArch: [11], mac: "52:54:00:00:00:11" };
const IPXE = { ...UEFI, userClass: ["iPXE"] };

function fileOf(d: ProxyDecision): string {
  return "answer" in d ? d.answer.bootFile : `skip:${d.skip}`;
}

describe("proxyDHCP rules", () => {
  test("arm64 UEFI gets the operator's arm64 loader when the boot files have one, HTTP boot too", () => {
    const p = proxy({ loaders: new Set([...DEBIAN, "ipxe-arm64.efi"]) });
    assert.equal(fileOf(p.decide(discover(ARM64))), "ipxe-arm64.efi");
    const http = { vendorClass: "HTTPClient:Arch:00019:UNDI:003000", clientArch: [19] };
    assert.equal(fileOf(p.decide(discover(http))), `${URL}/tftp/ipxe-arm64.efi`);
    assert.deepEqual(
      proxy()
        .missingLoaders()
        .map((m) => m.platform),
      ["uefi-arm64", "uefi-ia32", "uefi-arm32"],
    );
  });

  test("a machine's enforcer.dev/loader label picks snponly.efi; any other value is ignored", () => {
    const snp = {
      ...newMachine(parseMac(UEFI.mac), "operator", "t"),
      labels: { "enforcer.dev/loader": "snponly.efi" },
    };
    assert.equal(fileOf(proxy({}, [snp]).decide(discover(UEFI))), "snponly.efi");
    const odd = { ...snp, labels: { "enforcer.dev/loader": "../../etc/passwd" } };
    assert.equal(fileOf(proxy({}, [odd]).decide(discover(UEFI))), "ipxe.efi");
    // BIOS has one loader; the label is for UEFI NICs.
    const bios = {
      ...newMachine(parseMac(BIOS.mac), "operator", "t"),
      labels: { "enforcer.dev/loader": "snponly.efi" },
    };
    assert.equal(fileOf(proxy({}, [bios]).decide(discover(BIOS))), "undionly.kpxe");
  });

  test("--dhcp-known-only answers known MACs only", () => {
    const known = newMachine(parseMac(UEFI.mac), "operator", "t");
    const p = proxy({ knownOnly: true }, [known]);
    assert.equal(fileOf(p.decide(discover(UEFI))), "ipxe.efi");
    assert.equal(fileOf(p.decide(discover(BIOS))), "skip:unknown-machine");
    assert.equal(fileOf(p.decide(discover({ ...BIOS, mac: undefined }))), "skip:unknown-machine");
  });

  test("a known machine that would only boot its disk: UEFI firmware gets no loader, iPXE and BIOS still get theirs", () => {
    const idle = newMachine(parseMac(UEFI.mac), "operator", "t");
    const bios = newMachine(parseMac(BIOS.mac), "operator", "t");
    const http = { ...UEFI, vendorClass: "HTTPClient:Arch:00016:UNDI:003000", clientArch: [16] };
    const p = proxy({ fallsThrough: () => true }, [idle, bios]);
    // A name that does not exist: the firmware's read fails at once and it boots its next option.
    assert.equal(fileOf(p.decide(discover(UEFI))), "enforcer-local-disk");
    assert.equal(fileOf(p.decide(discover(http))), `${URL}/tftp/enforcer-local-disk`);
    // An iPXE ROM runs boot.ipxe's sanboot/exit itself, and BIOS PXE returns from iPXE: both are answered.
    assert.equal(fileOf(p.decide(discover(IPXE))), `${URL}/boot.ipxe`);
    assert.equal(fileOf(p.decide(discover(BIOS))), "undionly.kpxe");
    // Unknown machines may be bound for discovery: they still get the loader.
    assert.equal(fileOf(p.decide(discover({ ...UEFI, mac: "52:54:00:99:99:99" }))), "ipxe.efi");
    // Something armed (fallsThrough false): the loader again.
    assert.equal(fileOf(proxy({ fallsThrough: () => false }, [idle]).decide(discover(UEFI))), "ipxe.efi");
  });

  test("a Raspberry Pi gets the Pi menu and option 66, no boot file; --dhcp-known-only holds for Pis too", () => {
    const pi = {
      vendorClass: "PXEClient:Arch:00000:UNDI:002001",
      clientArch: [0],
      mac: "dc:a6:32:11:22:33",
    };
    const answered = proxy().decide(discover(pi));
    assert.ok("answer" in answered);
    assert.equal(answered.answer.piMenu, true);
    assert.equal(answered.answer.tftpServer, BOOT);
    assert.equal(answered.answer.bootFile, "");
    assert.equal(fileOf(proxy({ knownOnly: true }).decide(discover(pi))), "skip:unknown-machine");
    const known = newMachine(parseMac(pi.mac), "operator", "t");
    assert.ok("answer" in proxy({ knownOnly: true }, [known]).decide(discover(pi)));
    assert.equal(fileOf(proxy().decide(discover(pi, { source: "10.9.1.5" }))), "skip:off-network");
  });

  test("answers only clients on the boot network: relay, client address, source", () => {
    const p = proxy();
    assert.equal(fileOf(p.decide(discover(BIOS, { giaddr: "10.8.0.1" }))), "skip:off-network");
    assert.equal(fileOf(p.decide(discover(BIOS, { giaddr: "10.9.0.254" }))), "undionly.kpxe");
    assert.equal(fileOf(p.decide(discover(BIOS, { ciaddr: "192.168.1.5" }))), "skip:off-network");
    assert.equal(fileOf(p.decide(discover(BIOS, { source: "10.9.1.5" }))), "skip:off-network");
    assert.equal(fileOf(p.decide(discover(BIOS, { source: "10.9.0.77" }))), "undionly.kpxe");
  });

  test("a client address on the network does not vouch for a forged source elsewhere (found on the L2 lab)", () => {
    const p = proxy();
    // Port 4011 answers the source: this ACK would be reflected to 192.0.2.7, off the boot network.
    const forged = { messageType: 3, port: "boot-server", ciaddr: "10.9.0.77", source: "192.0.2.7" } as const;
    assert.equal(fileOf(p.decide(discover(UEFI, forged))), "skip:off-network");
    assert.equal(fileOf(p.decide(discover(UEFI, { ...forged, source: "10.9.0.77" }))), "ipxe.efi");
    // A relayed request is answered at the relay: its source and the client's address may be elsewhere.
    assert.equal(
      fileOf(p.decide(discover(BIOS, { giaddr: "10.9.0.254", ciaddr: "10.20.0.5", source: "10.20.0.1" }))),
      "undionly.kpxe",
    );
  });

  test("port 4011: a REQUEST or INFORM gets an ACK with the boot item echoed; a DISCOVER there nothing", () => {
    const p = proxy();
    const item = { type: 0, layer: 0 };
    const ack = p.decide(
      discover(UEFI, { messageType: 3, port: "boot-server", source: "10.9.0.50", bootItem: item }),
    );
    assert.ok("answer" in ack);
    assert.equal(ack.answer.reply, "ack");
    assert.deepEqual(ack.answer.bootItem, item);
    assert.equal(
      fileOf(p.decide(discover(IPXE, { messageType: 8, port: "boot-server" }))),
      `${URL}/boot.ipxe`,
    );
    assert.equal(fileOf(p.decide(discover(UEFI, { port: "boot-server" }))), "skip:not-for-proxy");
  });

  test("port 67: a REQUEST to the site's server is left to it; one that names Enforcer gets an ACK", () => {
    const p = proxy();
    assert.equal(
      fileOf(p.decide(discover(UEFI, { messageType: 3, serverId: "10.9.0.254" }))),
      "skip:not-for-proxy",
    );
    const ours = p.decide(discover(UEFI, { messageType: 3, serverId: BOOT }));
    assert.ok("answer" in ours && ours.answer.reply === "ack");
    for (const t of [2, 4, 5, 7, 8, undefined])
      assert.equal(fileOf(p.decide(discover(UEFI, { messageType: t }))), "skip:not-for-proxy", `type ${t}`);
  });
});
