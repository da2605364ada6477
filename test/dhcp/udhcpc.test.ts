// Real DHCP peers against Enforcer's DHCP codec and server, over a real layer-2 link: busybox udhcpc in one
// network namespace, the server in another, joined by a veth pair. It proves the decoder on a real client's
// datagrams and the encoder on a real client's parser: udhcpc takes the lease, the boot fields, option 43 and
// an option split in two instances (RFC 3396) from our replies. And dnsmasq, as the site's server, sends the
// Raspberry Pi option 43 byte for byte as our PXE encoder does. Needs root.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { encodePxeOptions } from "../../src/protocols/dhcp/pxe-options.js";
import { createNetnsPair, udhcpcOnce, type NetnsPair } from "../support/netns-pair.js";

const LAB_SERVER = join(dirname(fileURLToPath(import.meta.url)), "../support/dhcp-lab-server.js");
/** The variables of udhcpc's script the tests read. */
const VARS = [
  "ip",
  "subnet",
  "serverid",
  "siaddr",
  "sname",
  "boot_file",
  "bootfile",
  "tftp",
  "vendor",
  "opt43",
  "opt114",
];
/** What a Pi bootloader sends (protocols.md §4; a Pi 5 reports arch 0 too). */
const PI_CLIENT = ["-V", "PXEClient:Arch:00000:UNDI:002001", "-x", "0x5d:0000"];

/** Starts `cmd` in the server namespace and resolves once it printed `ready` (or a line matching `ready`). */
function startIn(
  ns: string,
  cmd: string[],
  ready: RegExp,
  onLine: (line: string) => void,
): Promise<ChildProcess> {
  const child = spawn("ip", ["netns", "exec", ns, ...cmd], { stdio: ["ignore", "pipe", "pipe"] });
  let buffered = "";
  let stderr = "";
  return new Promise((res, rej) => {
    child.once("exit", (code) => rej(new Error(`${cmd[0]} in ${ns} exited with ${code}: ${stderr}`)));
    const take = (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      for (const line of parts)
        if (ready.test(line)) res(child);
        else onLine(line);
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      take(d);
    });
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child?.pid === undefined || child.exitCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await gone;
}

describe("busybox udhcpc against Enforcer's DHCP server in a network namespace", { timeout: 120_000 }, () => {
  const SERVER_IP = "10.78.0.1";
  const OFFER_IP = "10.78.0.50";
  const dir = mkdtempSync(join(tmpdir(), "enforcer-udhcpc-"));
  let pair: NetnsPair | undefined;
  let server: ChildProcess | undefined;
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    pair = await createNetnsPair("d", `${SERVER_IP}/24`);
    server = await startIn(
      pair.serverNs,
      [process.execPath, LAB_SERVER, SERVER_IP, OFFER_IP],
      /^ready$/,
      (l) => lines.push(JSON.parse(l) as Record<string, unknown>),
    );
  });
  after(async () => {
    await stop(server);
    await pair?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  test("udhcpc takes the lease and every boot field from replies the encoder built", async () => {
    const { stderr, env } = await udhcpcOnce(pair!, dir, VARS, [
      ...PI_CLIENT,
      "-x",
      "hostname:lab-client",
      "-O",
      "43",
      "-O",
      "114",
    ]);
    assert.ok(stderr.includes(`lease of ${OFFER_IP} obtained from ${SERVER_IP}`), stderr);
    assert.equal(env.ip, OFFER_IP);
    assert.equal(env.subnet, "255.255.255.0");
    assert.equal(env.serverid, SERVER_IP);
    assert.equal(env.siaddr, SERVER_IP);
    assert.equal(env.sname, "enforcer-lab");
    assert.equal(env.boot_file, "undionly.kpxe");
    assert.equal(env.bootfile, "undionly.kpxe");
    assert.equal(env.tftp, SERVER_IP);
    assert.equal(env.vendor, "PXEClient");
    assert.equal(env.opt43, "060108ff", "PXE option 43: discovery control 8");
    // 258 bytes sent as two instances of option 114; udhcpc joined them into the one value.
    assert.equal(Buffer.from(env.opt114!, "hex").toString(), `http://${SERVER_IP}/${"p".repeat(240)}`);
  });

  test("the decoder read udhcpc's real DISCOVER and REQUEST: type, MAC, vendor class, arch, hostname, server id", async () => {
    const [discover, request] = lines;
    assert.ok(discover && request, `the server saw ${lines.length} requests`);
    for (const m of [discover, request]) {
      assert.match(String(m.mac), /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      assert.equal(m.vendorClass, "PXEClient:Arch:00000:UNDI:002001");
      assert.deepEqual(m.clientArch, [0]);
      assert.equal(m.hostname, "lab-client");
      assert.deepEqual(m.from, { address: "0.0.0.0", port: 68 });
      assert.deepEqual(m.to, { address: "255.255.255.255", port: 68 });
      assert.ok((m.parameterList as number[]).includes(43) && (m.parameterList as number[]).includes(114));
    }
    assert.equal(request.mac, discover.mac);
    assert.equal(discover.type, 1);
    assert.equal(request.type, 3);
    assert.equal(request.xid, discover.xid);
    assert.equal(request.requestedIp, OFFER_IP);
    assert.equal(request.serverId, SERVER_IP);
    assert.equal(lines.filter((l) => "drop" in l || "fault" in l).length, 0, JSON.stringify(lines));
  });
});

describe(
  "dnsmasq's Raspberry Pi option 43, through udhcpc, against our PXE encoder",
  { timeout: 120_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "enforcer-dnsmasq-"));
    let pair: NetnsPair | undefined;
    let dnsmasq: ChildProcess | undefined;
    before(async () => {
      pair = await createNetnsPair("q", "10.79.0.1/24");
      dnsmasq = await startIn(
        pair.serverNs,
        [
          "dnsmasq",
          "--no-daemon",
          "--port=0",
          `--interface=${pair.serverIf}`,
          "--bind-interfaces",
          "--dhcp-range=10.79.0.50,10.79.0.99,1h",
          `--dhcp-leasefile=${dir}/leases`,
          "--pxe-service=0,Raspberry Pi Boot",
        ],
        /started, version/,
        () => {},
      );
    });
    after(async () => {
      await stop(dnsmasq);
      await pair?.remove();
      rmSync(dir, { recursive: true, force: true });
    });

    test('pxe-service=0,"Raspberry Pi Boot" is the bytes encodePxeOptions gives for the Pi menu', async () => {
      // -B: dnsmasq would unicast to the offered address otherwise, which udhcpc's socket does not hear here.
      const { env } = await udhcpcOnce(pair!, dir, ["opt43", "vendor"], [...PI_CLIENT, "-B", "-O", "43"]);
      const ours = encodePxeOptions({
        discoveryControl: 3,
        menuPrompt: { timeout: 0, text: "PXE" },
        bootMenu: [{ type: 0, description: "Raspberry Pi Boot" }],
      });
      assert.equal(env.vendor, "PXEClient");
      assert.equal(env.opt43, ours.toString("hex"));
    });
  },
);
