// The lab harness itself: a crashed run's leftovers are swept, a live run's lab is left alone, and a machine
// without the tools gets one line saying what to install.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { startL2Lab, sweepL2Leftovers } from "../support/l2-lab.js";

const netnsList = () => spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;

describe("L2 lab harness", { timeout: 60_000 }, () => {
  test("a crashed run's namespace and the process in it are swept; a live run's lab is not", async () => {
    const dead = spawnSync("true").pid!; // a PID that is gone: a crashed test process
    const stale = `enfl2-${dead}-0000aa-br`;
    assert.equal(spawnSync("ip", ["netns", "add", stale]).status, 0);
    const orphan = spawn("ip", ["netns", "exec", stale, "sleep", "60"], { stdio: "ignore" });
    const gone = new Promise((r) => orphan.once("exit", r));
    await new Promise((r) => setTimeout(r, 200));
    const lab = await startL2Lab(); // sweeps on start
    try {
      await gone;
      assert.ok(!netnsList().includes(stale), netnsList());
      assert.equal(sweepL2Leftovers().length, 0);
      assert.ok(netnsList().includes(lab.ns.bridge), "the live lab must survive a sweep");
    } finally {
      await lab.stop();
    }
    assert.deepEqual(lab.leftovers(), []);
  });

  test("without the tools the lab fails with one line naming the Debian packages", () => {
    const empty = mkdtempSync(join(tmpdir(), "enfl2-nopath-"));
    const code = `import(${JSON.stringify(resolve("dist/test/support/l2-lab.js"))}).then((m) => m.requireL2Lab())`;
    const r = spawnSync(process.execPath, ["-e", code], { encoding: "utf8", env: { PATH: empty } });
    rmSync(empty, { recursive: true });
    assert.notEqual(r.status, 0);
    const line = r.stderr.split("\n").find((l) => l.startsWith("Error: "));
    assert.match(
      line ?? r.stderr,
      /^Error: the L2 lab needs these Debian packages: apt-get install -y .*dnsmasq-base/,
    );
  });
});
