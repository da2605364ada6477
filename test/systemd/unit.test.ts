// The shipped systemd unit, checked by systemd's own tools: `systemd-analyze verify` (syntax, every setting
// known, ExecStart's binary there) and `systemd-analyze security --offline` (the exposure score may not
// get worse than docs/systemd.md reports). PID 1 here is not systemd, so the unit is not started: the
// hardened run (hardened-run.test.ts) plays its user, capabilities and system call filter instead.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { after, describe, test } from "node:test";
import { localizedUnit } from "../support/systemd-unit.js";

const run = promisify(execFile);
/** The exposure `systemd-analyze security` gives the unit (systemd 252); docs/systemd.md shows its table. */
const EXPOSURE = 1.5;

describe("the systemd unit", { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-unit-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // Node where it is here, the entry point of this checkout: verify checks that ExecStart's binary exists.
  const unit = localizedUnit({
    "/usr/bin/node": process.execPath,
    "/usr/lib/node_modules/enforcer": resolve("."),
  });
  const file = join(dir, "enforcer.service");
  writeFileSync(file, unit.text);

  async function analyze(args: string[]) {
    try {
      return await run("systemd-analyze", args, { timeout: 30_000 });
    } catch (err) {
      const e = err as { code?: string | number; stdout?: string; stderr?: string };
      if (e.code === "ENOENT") assert.fail("systemd-analyze is missing: apt-get install systemd");
      assert.fail(`systemd-analyze ${args[0]} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    }
  }

  test("systemd-analyze verify finds nothing to say", async () => {
    const { stdout, stderr } = await analyze(["verify", file]);
    assert.equal(stdout + stderr, "", "verify is silent when the unit is right");
  });

  test(`systemd-analyze security scores it ${EXPOSURE} or better, and the exceptions are the known ones`, async () => {
    const { stdout } = await analyze(["security", "--offline=true", `--threshold=${EXPOSURE * 10}`, file]);
    const m = /Overall exposure level for enforcer\.service: (\d+\.\d+)/.exec(stdout);
    assert.ok(m, `no exposure line in:\n${stdout}`);
    assert.ok(Number(m[1]) <= EXPOSURE, `exposure ${m[1]} is worse than ${EXPOSURE}:\n${stdout}`);
    // What is left open is open on purpose (docs/systemd.md says why for each): the network, its ports,
    // the address families it uses, Node's JIT.
    const open = stdout
      .split("\n")
      .filter((l) => l.startsWith("✗"))
      .map((l) => l.slice(2).split(/\s+/)[0]);
    assert.deepEqual(open.sort(), [
      "AmbientCapabilities=",
      "CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)",
      "DeviceAllow=",
      "IPAddressDeny=",
      "MemoryDenyWriteExecute=",
      "PrivateNetwork=",
      "PrivateUsers=",
      "ProcSubset=",
      "RestrictAddressFamilies=~AF_(INET|INET6)",
      "RestrictAddressFamilies=~AF_NETLINK",
      "RestrictAddressFamilies=~AF_UNIX",
      "RootDirectory=/RootImage=",
    ]);
    assert.equal(
      readFileSync("docs/systemd.md", "utf8").includes(`exposure level for enforcer.service: ${m[1]}`),
      true,
    );
  });

  test("MemoryDenyWriteExecute stays off because Node dies under it (if this fails, turn it on)", async () => {
    // The kernel's own W^X (PR_SET_MDWE, Linux 6.3) is what systemd 253+ uses for the setting; 252 uses a
    // seccomp filter with the same effect on V8: code pages cannot become executable.
    const mdwe =
      "import ctypes,os,sys\n" +
      "r=ctypes.CDLL(None,use_errno=True).prctl(65,1,0,0,0)\n" +
      "if r!=0: sys.exit('PR_SET_MDWE failed: the kernel is older than 6.3')\n" +
      "os.execv(sys.argv[1],sys.argv[1:])";
    const js = "let s=0; for (let i=0;i<1e7;i++) s+=i; console.log(s)";
    const plain = await run("python3", ["-c", mdwe, process.execPath, "--jitless", "-e", js]);
    assert.equal(plain.stdout.trim(), "49999995000000", "without its JIT Node runs under W^X");
    const jit = await run("python3", ["-c", mdwe, process.execPath, "-e", js]).then(
      () => "ran",
      (err: { signal?: string; stderr?: string }) => `${err.signal}: ${err.stderr ?? ""}`,
    );
    assert.match(jit, /^SIGTRAP: [\s\S]*SetPermissions/, "V8 stops when it cannot make code executable");
  });
});
