// A real DHCP client against Enforcer's DHCP codec and server, over a real layer-2 link: busybox udhcpc in one
// network namespace, the server (test/support/dhcp-lab-server.ts) in another, joined by a veth pair. It proves
// the decoder on a real client's datagrams and the encoder on a real client's parser: udhcpc takes the lease,
// the boot fields, option 43 and an option split in two instances (RFC 3396) from the reply. Needs root.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);
const LAB_SERVER = join(dirname(fileURLToPath(import.meta.url)), "../support/dhcp-lab-server.js");
const SERVER_IP = "10.78.0.1";
const OFFER_IP = "10.78.0.50";
/** The variables udhcpc hands its script that the test reads (only these: the script never dumps the environment). */
const VARS = [
  "ip",
  "subnet",
  "router",
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

describe("busybox udhcpc in a network namespace against the DHCP server", { timeout: 120_000 }, () => {
  const suffix = randomBytes(3).toString("hex");
  const srvNs = `enf-dhs-${suffix}`;
  const cliNs = `enf-dhc-${suffix}`;
  const srvIf = `vds${suffix}`;
  const cliIf = `vdc${suffix}`;
  const dir = mkdtempSync(join(tmpdir(), "enforcer-udhcpc-"));
  let server: ChildProcess | undefined;
  let lines: Record<string, unknown>[] = [];

  before(async () => {
    assert.equal(
      process.getuid?.(),
      0,
      "this test makes network namespaces and a veth pair: run it as root (CI does)",
    );
    await run("busybox", ["udhcpc", "--help"]).catch((err: { stderr?: string }) => {
      // busybox prints its usage on stderr and exits 1; only a missing applet is a failure.
      assert.match(
        err.stderr ?? "",
        /udhcpc/,
        "busybox with the udhcpc applet is missing: apt-get install busybox-static",
      );
    });
    const ip = (...args: string[]) => run("ip", args);
    await ip("netns", "add", srvNs);
    await ip("netns", "add", cliNs);
    await ip("-n", srvNs, "link", "add", srvIf, "type", "veth", "peer", "name", cliIf, "netns", cliNs);
    await ip("-n", srvNs, "addr", "add", `${SERVER_IP}/24`, "dev", srvIf);
    await ip("-n", srvNs, "link", "set", srvIf, "up");
    await ip("-n", srvNs, "link", "set", "lo", "up");
    await ip("-n", cliNs, "link", "set", cliIf, "up");
    // Replies to a client without an address go to 255.255.255.255; Node cannot name the interface
    // (no SO_BINDTODEVICE), so the route for the limited broadcast address does.
    await ip("-n", srvNs, "route", "add", "255.255.255.255/32", "dev", srvIf);
    server = spawn("ip", ["netns", "exec", srvNs, process.execPath, LAB_SERVER, SERVER_IP, OFFER_IP], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let buffered = "";
    let stderr = "";
    server.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((res, rej) => {
      server!.once("exit", (code) => rej(new Error(`the lab DHCP server exited with ${code}: ${stderr}`)));
      server!.stdout!.on("data", (d: Buffer) => {
        buffered += d.toString();
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        for (const line of parts) {
          if (line === "ready") res();
          else lines.push(JSON.parse(line) as Record<string, unknown>);
        }
      });
    });
  });

  after(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      const gone = new Promise((r) => server!.once("exit", r));
      server.kill("SIGTERM");
      await gone;
    }
    for (const ns of [cliNs, srvNs]) await run("ip", ["netns", "del", ns]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  test("udhcpc takes the lease and every boot field from replies the encoder built", async () => {
    lines = [];
    const script = join(dir, "script.sh");
    const out = join(dir, "bound");
    writeFileSync(
      script,
      `#!/bin/sh\n[ "$1" = bound ] || exit 0\n: > ${out}\n` +
        VARS.map((v) => `echo "${v}=$${v}" >> ${out}\n`).join(""),
    );
    chmodSync(script, 0o755);
    const { stderr } = await run(
      "ip",
      [
        "netns",
        "exec",
        cliNs,
        "busybox",
        "udhcpc",
        "-f",
        "-q",
        "-n",
        "-i",
        cliIf,
        "-t",
        "3",
        "-T",
        "1",
        "-s",
        script,
        "-V",
        "PXEClient:Arch:00000:UNDI:002001",
        "-x",
        "0x5d:0000",
        "-x",
        "hostname:lab-client",
        "-O",
        "43",
        "-O",
        "114",
      ],
      { timeout: 30_000 },
    );
    assert.match(
      stderr,
      new RegExp(
        `lease of ${OFFER_IP.replace(/\./g, "\\.")} obtained from ${SERVER_IP.replace(/\./g, "\\.")}`,
      ),
    );
    const env = Object.fromEntries(
      readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
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
    const { stdout } = await run("ip", ["-n", cliNs, "-br", "link", "show", cliIf]);
    const mac = stdout.trim().split(/\s+/)[2];
    const [discover, request] = lines;
    assert.ok(discover && request, `the server saw ${lines.length} requests`);
    for (const m of [discover, request]) {
      assert.equal(m.mac, mac);
      assert.equal(m.vendorClass, "PXEClient:Arch:00000:UNDI:002001");
      assert.deepEqual(m.clientArch, [0]);
      assert.equal(m.hostname, "lab-client");
      assert.deepEqual(m.from, { address: "0.0.0.0", port: 68 });
      assert.deepEqual(m.to, { address: "255.255.255.255", port: 68 });
      assert.ok((m.parameterList as number[]).includes(43) && (m.parameterList as number[]).includes(114));
    }
    assert.equal(discover.type, 1);
    assert.equal(request.type, 3);
    assert.equal(request.xid, discover.xid);
    assert.equal(request.requestedIp, OFFER_IP);
    assert.equal(request.serverId, SERVER_IP);
    assert.equal(lines.filter((l) => "drop" in l || "fault" in l).length, 0, JSON.stringify(lines));
  });
});
