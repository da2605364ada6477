// proxyDHCP end to end on a real layer-2 link: the real `enforcer serve --dhcp proxy` in one network namespace,
// clients in another joined by a veth pair. A scripted client (packets built with our codec, not firmware)
// sends what BIOS, UEFI x64, UEFI HTTP boot, iPXE and plain clients send; busybox udhcpc is a real plain
// client. The offered files are then fetched from the client side over TFTP and HTTP as firmware would.
// Needs root.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { encodePxeOptions } from "../../src/protocols/dhcp/pxe-options.js";
import { inNs } from "../support/netns-curl.js";
import { createNetnsPair, type NetnsPair } from "../support/netns-pair.js";
import { startInNs, type NsProcess } from "../support/netns-process.js";
import type { PxeReply } from "../support/scripted-dhcp-io.js";

const run = promisify(execFile);
const CLIENT = join(dirname(fileURLToPath(import.meta.url)), "../support/scripted-dhcp-client.js");
const SERVER_IP = "10.76.0.1";
const BASE = `http://${SERVER_IP}:8080`;

/** What scripted-dhcp-client.ts reports of a reply. */
interface Reply extends PxeReply {
  sname: string;
  chaddrMatches: boolean;
}

describe("proxyDHCP: enforcer serve --dhcp proxy in a network namespace", { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-proxy-"));
  let pair: NetnsPair | undefined;
  let enforcer: NsProcess | undefined;
  /** URLs offered earlier, fetched once the client has an address. */
  const offered: { ipxe?: string; http?: string } = {};

  /** Runs `cmd` in the client namespace. */
  const inClient = (cmd: string[], timeout = 30_000) => inNs(pair!.clientNs, cmd, timeout);

  /** One request from the scripted client; its replies. */
  async function ask(kind: string, type = "discover", to = "255.255.255.255", port = 67, ciaddr?: string) {
    const { stdout } = await inClient([
      process.execPath,
      CLIENT,
      kind,
      type,
      to,
      String(port),
      "1500",
      ...(ciaddr ? [ciaddr] : []),
    ]);
    return JSON.parse(stdout) as { replies: Reply[] };
  }

  before(async () => {
    pair = await createNetnsPair("x", `${SERVER_IP}/24`);
    // The client has no address yet: its broadcast leaves by this route (Node cannot name the interface).
    await run("ip", ["-n", pair.clientNs, "route", "add", "255.255.255.255/32", "dev", pair.clientIf]);
    enforcer = startInNs(
      pair.serverNs,
      [process.execPath, resolve("bin/enforcer.js"), "serve", "--dhcp", "proxy", "--listen", "0.0.0.0"],
      /enforcer: ready .*dhcp=proxy:67,4011/,
      {
        ENFORCER_HTTP_PORT: "8080",
        ENFORCER_PUBLIC_URL: BASE,
        ENFORCER_DATA: join(dir, "data"),
        ENFORCER_LOG_LEVEL: "info",
      },
    );
    await enforcer.ready;
  });

  after(async () => {
    await enforcer?.stop();
    await pair?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What every proxy answer has: no address, Enforcer as server and next-server, the client's 97 back. */
  function assertProxyOffer(r: Reply | undefined, type = 2): asserts r is Reply {
    assert.ok(r, "no answer from the proxy");
    assert.equal(r.type, type);
    assert.equal(r.yiaddr, "0.0.0.0", "a proxy never offers an address");
    assert.equal(r.siaddr, SERVER_IP);
    assert.equal(r.serverId, SERVER_IP);
    assert.ok(r.chaddrMatches);
    assert.ok(r.opt97Echoed, "option 97 echoed");
  }

  test("a BIOS PXE ROM is offered undionly.kpxe over TFTP with discovery control 8", async () => {
    const { replies } = await ask("bios");
    assert.equal(replies.length, 1, JSON.stringify(replies));
    const [r] = replies;
    assertProxyOffer(r);
    assert.equal(r.file, "undionly.kpxe");
    assert.equal(r.bootfileName, "undionly.kpxe");
    assert.equal(r.vendorClass, "PXEClient");
    assert.equal(r.tftpServer, SERVER_IP);
    assert.equal(r.opt43, "060108ff");
  });

  test("a plain DHCP client gets nothing from the proxy", async () => {
    assert.deepEqual((await ask("plain")).replies, []);
  });

  test("a UEFI x64 PXE client is offered ipxe.efi, without option 43", async () => {
    const [r] = (await ask("uefi-x64")).replies;
    assertProxyOffer(r);
    assert.equal(r.file, "ipxe.efi");
    assert.equal(r.bootfileName, "ipxe.efi");
    assert.equal(r.vendorClass, "PXEClient");
    assert.equal(r.tftpServer, SERVER_IP);
    assert.equal(r.opt43, undefined);
  });

  test("iPXE (user class iPXE, option 175) is offered the boot.ipxe URL, never the loader again", async () => {
    const [r] = (await ask("ipxe")).replies;
    assertProxyOffer(r);
    assert.equal(r.file, `${BASE}/boot.ipxe`);
    assert.equal(r.bootfileName, `${BASE}/boot.ipxe`);
    assert.equal(r.opt43, "060108ff");
    offered.ipxe = r.file;
  });

  test("UEFI HTTP boot is offered the loader's HTTP URL with option 60 HTTPClient", async () => {
    const [r] = (await ask("http-x64")).replies;
    assertProxyOffer(r);
    assert.equal(r.vendorClass, "HTTPClient");
    assert.equal(r.file, `${BASE}/tftp/ipxe.efi`);
    offered.http = r.file;
  });

  test("from the client's side, with an address: the offered URLs serve the script and the loader", async () => {
    await run("ip", ["-n", pair!.clientNs, "addr", "add", "10.76.0.50/24", "dev", pair!.clientIf]);
    // What iPXE does with its offer.
    const script = await inClient(["curl", "-sS", "--max-time", "10", offered.ipxe!]);
    assert.match(script.stdout, /^#!ipxe/);
    // What UEFI HTTP boot does with its offer.
    const { stdout } = await inClient([
      "curl",
      "-sS",
      "--max-time",
      "10",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{size_download}",
      offered.http!,
    ]);
    const [code, size] = stdout.split(" ");
    assert.equal(code, "200");
    assert.equal(Number(size), readFileSync("/usr/lib/ipxe/ipxe.efi").length);
  });

  test("busybox udhcpc (a real non-PXE client) gets no offer from the proxy", async () => {
    const res = await inClient([
      "busybox",
      "udhcpc",
      "-f",
      "-q",
      "-n",
      "-i",
      pair!.clientIf,
      "-t",
      "2",
      "-T",
      "1",
      "-s",
      "/bin/true",
    ]).then(
      (r) => ({ ok: true, stderr: r.stderr }),
      (err: { stderr?: string }) => ({ ok: false, stderr: err.stderr ?? "" }),
    );
    assert.equal(res.ok, false, "udhcpc got a lease from a proxy");
    assert.match(res.stderr, /broadcasting discover/, "udhcpc ran");
    assert.match(res.stderr, /no lease/);
    assert.doesNotMatch(res.stderr, /offer/i);
  });

  test("after DORA: a REQUEST to port 4011 gets an ACK back at its source, the boot item echoed; TFTP serves the file", async () => {
    const [r] = (await ask("uefi-x64", "request", SERVER_IP, 4011, "10.76.0.50")).replies;
    assertProxyOffer(r, 5);
    assert.equal(r.file, "ipxe.efi");
    assert.equal(r.opt43, encodePxeOptions({ bootItem: { type: 0, layer: 0 } }).toString("hex"));
    // What the firmware does next: fetch the file from next-server over TFTP.
    const got = join(dir, "ipxe.efi");
    await inClient(["busybox", "tftp", "-g", "-r", r.file, "-l", got, r.siaddr]);
    assert.deepEqual(readFileSync(got), readFileSync("/usr/lib/ipxe/ipxe.efi"));
  });

  test("/metrics counts answers by class and what was left unanswered, and the log names each offer", async () => {
    const token = readFileSync(join(dir, "data", "admin.token"), "utf8").trim();
    const { stdout } = await inClient([
      "curl",
      "-sS",
      "--max-time",
      "10",
      "-H",
      `Authorization: Bearer ${token}`,
      `${BASE}/metrics`,
    ]);
    const metric = (line: string) =>
      Number(new RegExp(`^${line.replace(/[{}"]/g, "\\$&")} (\\d+)$`, "m").exec(stdout)?.[1]);
    assert.equal(metric('enforcer_dhcp_answers_total{class="bios-pxe"}'), 1);
    assert.equal(metric('enforcer_dhcp_answers_total{class="uefi-pxe"}'), 2);
    assert.equal(metric('enforcer_dhcp_answers_total{class="ipxe"}'), 1);
    assert.equal(metric('enforcer_dhcp_answers_total{class="uefi-http"}'), 1);
    // The scripted plain client once, udhcpc at least twice (-t 2).
    assert.ok(metric('enforcer_dhcp_unanswered_total{reason="not-pxe"}') >= 3, stdout);
    assert.match(enforcer!.out(), /dhcp proxy offer undionly\.kpxe/);
    // Debian ships no arm64 iPXE: the start said so, once.
    assert.match(enforcer!.out(), /uefi-arm64 clients get no proxy answer: no ipxe-arm64\.efi/);
  });
});
