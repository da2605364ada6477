// `enforcer power` end to end: the real binary against a served instance, real drivers, no fakes. IPMI runs
// ipmitool against Debian's ipmi_sim on loopback (and against a port where no BMC answers); Wake-on-LAN sends
// its magic packet to a UDP port this test listens on.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { memoryChassis, startIpmiSim, type IpmiSim } from "../src/power/testing/ipmi-sim.js";
import { freeUdpPort, startEnforcer, type EnforcerProcess } from "./support/enforcer-process.js";

const BIN = resolve("bin/enforcer.js");
const MAC = "52:54:00:dd:00:01";
const WOL_MAC = "52:54:00:dd:00:02";
const LOST_MAC = "52:54:00:dd:00:03";
/** A password no other text in an answer could contain by chance. */
const PASSWORD = "Cli-pw-5e0b";

describe("enforcer power (CLI against a served instance)", { timeout: 120_000 }, () => {
  let e: EnforcerProcess;
  let sim: IpmiSim;
  const chassis = memoryChassis();
  let env: NodeJS.ProcessEnv;
  const dir = mkdtempSync(join(tmpdir(), "enforcer-power-cli-"));
  /** Runs the CLI without blocking this process: ipmi_sim's chassis bridge answers from this event loop. */
  const cli = (args: string[], input?: string, token?: string) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((res, rej) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { ...env, ...(token ? { ENFORCER_TOKEN: token } : {}) },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("error", rej);
      child.on("close", (status) => res({ status, stdout, stderr }));
      child.stdin.end(input ?? "");
    });
  const ok = async (args: string[], input?: string) => {
    const r = await cli(args, input);
    assert.equal(r.status, 0, `${args.join(" ")}: ${r.stderr}`);
    return r;
  };

  before(async () => {
    sim = await startIpmiSim({ username: "admin", password: PASSWORD, chassis });
    e = await startEnforcer();
    env = { ...process.env, ENFORCER_URL: e.base, ENFORCER_TOKEN: e.token };
    for (const mac of [MAC, WOL_MAC, LOST_MAC])
      assert.equal((await e.api("POST", "/machines", { mac })).status, 201);
  });
  after(async () => {
    await sim?.stop();
    await e.stop();
    // Nothing the test sent or stored holds the password in clear: not the store, not the server's log.
    assert.ok(!e.logs().includes(PASSWORD), "the server log holds the password");
    rmSync(dir, { recursive: true, force: true });
  });

  const setIpmi = (mac: string, address: string, passwordArgs: string[], input?: string) =>
    cli(
      ["power", "set", mac, "--driver", "ipmi", "--address", address, "--username", "admin", ...passwordArgs],
      input,
    );

  test("power set reads the password from a file (one newline stripped); show never prints it; status works", async () => {
    const file = join(dir, "bmc.pass");
    writeFileSync(file, `${PASSWORD}\n`, { mode: 0o600 });
    const set = await setIpmi(MAC, sim.address, [
      "--password-file",
      file,
      "--cipher-suite",
      "3",
      "--boot-mode",
      "uefi",
    ]);
    assert.equal(set.status, 0, set.stderr);
    assert.match(
      set.stdout,
      new RegExp(
        `^machine +${MAC}\ndriver +ipmi\naddress +127\\.0\\.0\\.1:${sim.port}\nusername +admin\npassword +stored \\(encrypted\\)\n`,
      ),
    );
    assert.match(set.stdout, /^cipher suite +3$/m);
    assert.match(set.stdout, /^boot mode +uefi$/m);
    assert.match(set.stdout, /^state +unknown$/m);
    for (const args of [
      ["power", "show", MAC],
      ["power", "show", MAC, "--json"],
    ]) {
      const r = await ok(args);
      assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), r.stdout);
    }
    assert.equal(JSON.parse((await ok(["power", "show", MAC, "--json"])).stdout).hasPassword, true);
    // The BMC accepts the password: the newline was stripped, nothing else.
    chassis.on = false;
    const status = await ok(["power", "status", MAC]);
    assert.match(
      status.stdout,
      new RegExp(
        `^machine +${MAC}\naction +status\ndriver +ipmi\nstate +off\nbmc said +Chassis Power is off\n`,
      ),
    );
    const on = await ok(["power", "on", MAC]);
    assert.match(on.stdout, /^state +on\nbmc said +Chassis Power Control: Up\/On$/m);
    assert.equal(chassis.on, true, "the chassis was powered on");
    assert.match((await ok(["power", "show", MAC])).stdout, /^state +on$/m);
  });

  test("password from standard input (CRLF stripped); a PUT without one keeps it; a wrong one is AUTH, exit 1", async () => {
    assert.equal((await setIpmi(MAC, sim.address, ["--password-file", "-"], `${PASSWORD}\r\n`)).status, 0);
    assert.equal(
      (await cli(["power", "status", MAC])).status,
      0,
      "the BMC took the password read from stdin",
    );
    const kept = await setIpmi(MAC, sim.address, ["--json"]);
    assert.equal(kept.status, 0, kept.stderr);
    assert.equal(JSON.parse(kept.stdout).hasPassword, true);
    assert.equal((await cli(["power", "status", MAC])).status, 0, "the kept password still opens the BMC");
    const moved = await setIpmi(MAC, "127.0.0.2", []);
    assert.equal(moved.status, 2, moved.stderr);
    assert.match(moved.stderr, /^enforcer: password: required .*\[ENF_ERR_POWER_INVALID\]$/m);

    assert.equal((await setIpmi(MAC, sim.address, ["--password-file", "-"], "not-the-password\n")).status, 0);
    const wrong = await cli(["power", "cycle", MAC]);
    assert.equal(wrong.status, 1, wrong.stderr);
    assert.match(wrong.stderr, /^enforcer: .+ \[ENF_ERR_POWER_AUTH\]\n$/);
    assert.ok(!wrong.stderr.includes("not-the-password"));
    assert.match((await ok(["power", "show", MAC])).stdout, /^error +.+ \[ENF_ERR_POWER_AUTH\]$/m);
    assert.equal((await setIpmi(MAC, sim.address, ["--password-file", "-"], PASSWORD)).status, 0);
    for (const f of readdirSync(e.data, { recursive: true, withFileTypes: true }))
      if (f.isFile())
        assert.ok(
          !readFileSync(join(f.parentPath, f.name)).includes(PASSWORD),
          `${f.name} holds the password`,
        );
  });

  test("no password on the command line; bad input is a usage error naming the field", async () => {
    const flag = await cli(["power", "set", MAC, "--driver", "ipmi", "--password", PASSWORD]);
    assert.equal(flag.status, 2);
    assert.match(flag.stderr, /unknown option '--password'/);
    const empty = join(dir, "empty.pass");
    writeFileSync(empty, "\n");
    const e1 = await cli([
      "power",
      "set",
      MAC,
      "--driver",
      "ipmi",
      "--address",
      "bmc",
      "--username",
      "u",
      "--password-file",
      empty,
    ]);
    assert.deepEqual([e1.status, e1.stderr], [2, `enforcer: the password file ${empty} is empty\n`]);
    const big = join(dir, "big.pass");
    writeFileSync(big, "x".repeat(4096));
    assert.equal((await cli(["power", "set", MAC, "--driver", "ipmi", "--password-file", big])).status, 2);
    assert.equal(
      (await cli(["power", "set", MAC, "--driver", "ipmi", "--password-file", join(dir, "none")])).status,
      2,
    );
    const bell = await cli(
      [
        "power",
        "set",
        MAC,
        "--driver",
        "ipmi",
        "--address",
        "bmc",
        "--username",
        "u",
        "--password-file",
        "-",
      ],
      "pw\u0007x\n",
    );
    assert.equal(bell.status, 2);
    assert.match(bell.stderr, /password: must be printable ASCII .*\[ENF_ERR_POWER_INVALID\]/);
    assert.equal((await cli(["power", "set", MAC, "--driver", "telnet"])).status, 2);
    assert.equal((await cli(["power", "set", MAC, "--driver", "ipmi", "--cipher-suite", "x"])).status, 2);
    assert.equal((await cli(["power", "reboot", MAC])).status, 2, "an unknown action");
  });

  test("roles: a viewer reads power control but cannot set it nor act (exit 3)", async () => {
    const viewer = (await ok(["tokens", "create", "power-viewer", "viewer"])).stdout.trim();
    assert.equal((await cli(["power", "show", MAC], undefined, viewer)).status, 0);
    const set = await cli(["power", "set", WOL_MAC, "--driver", "wol"], undefined, viewer);
    assert.equal(set.status, 3);
    assert.match(set.stderr, /\[ENF_ERR_AUTH_FORBIDDEN\]/);
    assert.equal((await cli(["power", "status", MAC], undefined, viewer)).status, 3);
  });

  test("power on with Wake-on-LAN: a real magic packet for the machine's MAC reaches the listener", async () => {
    const port = await freeUdpPort();
    const sock: Socket = createSocket("udp4");
    const got: Buffer[] = [];
    sock.on("message", (m) => got.push(m));
    await new Promise<void>((r) => sock.bind(port, "127.0.0.1", r));
    try {
      await ok(["power", "set", WOL_MAC, "--driver", "wol", "--address", `127.0.0.1:${port}`]);
      const on = await ok(["power", "on", WOL_MAC]);
      assert.match(on.stdout, /^machine +52:54:00:dd:00:02\naction +on\ndriver +wol\nstate +unknown\n/);
      assert.match(on.stdout, new RegExp(`^bmc said +magic packet sent to 127\\.0\\.0\\.1:${port}`, "m"));
      for (let i = 0; i < 40 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(got.length >= 1, "no magic packet arrived");
      const mac = Buffer.from(WOL_MAC.replaceAll(":", ""), "hex");
      const expected = Buffer.concat([Buffer.alloc(6, 0xff), ...Array.from({ length: 16 }, () => mac)]);
      assert.deepEqual(got[0], expected, "6 x 0xff then the MAC 16 times");
    } finally {
      sock.close();
    }
    // It cannot tell the state: 409 unsupported, exit 5, in words.
    const status = await cli(["power", "status", WOL_MAC]);
    assert.equal(status.status, 5, status.stderr);
    assert.match(status.stderr, /\[ENF_ERR_POWER_UNSUPPORTED\]$/m);
    // A reboot not followed (--wait 0) says power control takes it, not that nothing reaches the machine.
    const queued = await cli(["commands", "reboot", WOL_MAC, "--wait", "0"]);
    assert.equal(queued.status, 7, queued.stderr);
    assert.match(
      queued.stderr,
      /^enforcer: the reboot of 52:54:00:dd:00:02 is queued, not followed \(--wait 0\)/,
    );
    assert.match(queued.stderr, /Its power control \(wol\) takes it in a moment/);
    // The timeline has the steps.
    const events = JSON.parse((await ok(["machines", "events", WOL_MAC, "--json"])).stdout) as {
      items: { kind: string }[];
    };
    const kinds = events.items.map((x) => x.kind).filter((k) => k.startsWith("power."));
    assert.deepEqual(kinds.slice(0, 4), ["power.set", "power.queued", "power.sent", "power.done"]);
  });

  test("commands reboot with no agent goes through the BMC: pxe-once (EFI) then cycle, agent power:ipmi, exit 0", async () => {
    chassis.on = true;
    const uefi = await setIpmi(MAC, sim.address, ["--password-file", "-", "--boot-mode", "uefi"], PASSWORD);
    assert.equal(uefi.status, 0, uefi.stderr);
    const before = sim.bootFlags().length;
    const r = await cli(["commands", "reboot", MAC, "--wait", "2"]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^type +reboot\nstate +acknowledged\nagent +power:ipmi\n/m);
    assert.match(r.stdout, /^detail +.*Chassis Power Control/m);
    assert.equal(r.stderr, "", "no hint: it was delivered");
    const flags = sim.bootFlags().slice(before);
    assert.deepEqual(
      flags.at(-1),
      { device: "pxe", efi: true, persistent: false },
      "the next boot is a UEFI PXE boot, once",
    );
    // A BMC that refuses: the reboot fails with its words and exits 1.
    assert.equal((await setIpmi(MAC, sim.address, ["--password-file", "-"], "wrong-password")).status, 0);
    const failed = await cli(["commands", "reboot", MAC, "--wait", "2"]);
    assert.equal(failed.status, 1, failed.stderr);
    assert.match(
      failed.stderr,
      new RegExp(`^enforcer: the reboot of ${MAC} failed: ENF_ERR_POWER_AUTH: .+`, "m"),
    );
    assert.equal((await setIpmi(MAC, sim.address, ["--password-file", "-"], PASSWORD)).status, 0);
  });

  test("power status through IPMI with no BMC listening: exit 1 with the code and ipmitool's words, bounded", async () => {
    assert.equal((await setIpmi(LOST_MAC, "127.0.0.1:1", ["--password-file", "-"], PASSWORD)).status, 0);
    const started = Date.now();
    const r = await cli(["power", "status", LOST_MAC]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^enforcer: .+ \[ENF_ERR_POWER_(UNREACHABLE|TIMEOUT)\]\n$/);
    assert.ok(!r.stderr.includes(PASSWORD));
    assert.ok(Date.now() - started < 15_000, "bounded by --power-timeout");
    const shown = await ok(["power", "show", LOST_MAC]);
    assert.match(shown.stdout, /^error +.+ \[ENF_ERR_POWER_(UNREACHABLE|TIMEOUT)\]$/m);
  });

  test("power remove: gone, and show then exits 4", async () => {
    assert.match(
      (await ok(["power", "remove", MAC])).stdout,
      /^removed the power control of 52:54:00:dd:00:01\n$/,
    );
    const r = await cli(["power", "show", MAC]);
    assert.equal(r.status, 4);
    assert.match(r.stderr, /\[ENF_ERR_POWER_NOT_SET\]/);
  });
});
