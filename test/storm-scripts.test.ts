// The boot storm's simulated machines (bench/storm-*.ts) read the scripts both stacks serve: proven here on
// what Enforcer's own renderers and the classic stack's static files say, so a change to either fails a fast
// test instead of quietly changing what the benchmark measures.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeClassicScripts } from "../bench/storm-files.js";
import { chainUrls, scriptBoot } from "../bench/storm-ipxe.js";
import { makePlan } from "../bench/storm-plan.js";
import { renderBootScript } from "../src/protocols/ipxe/config-script.js";
import { renderGeneralScript } from "../src/protocols/ipxe/general-script.js";

const vars = { mac: "52:54:00:00:00:07", uuid: "37da6fbb-a934-43e6-8a45-f16341de57a7" };
const sizes = { loader: 1, kernel: 2, initrd: 3 };

test("Enforcer's boot.ipxe: the machine asks /boot/machine, then /boot/discovery, with its identity", () => {
  const urls = chainUrls(renderGeneralScript({ self: "http://10.78.0.1:8080", remotes: [] }), vars);
  const query = `mac=52-54-00-00-00-07&uuid=${vars.uuid}&serial=&arch=x86_64&platform=efi`;
  assert.deepEqual(urls, [
    `http://10.78.0.1:8080/boot/machine?${query}`,
    `http://10.78.0.1:8080/boot/discovery?${query}`,
  ]);
});

test("Enforcer's per-machine script on efi: the kernel, its initrd and the provisioning URL", () => {
  const script = renderBootScript(
    {
      kind: "linux",
      kernel: "http://10.78.0.1:8080/tftp/storm/linux",
      args: ["auto=true", "url=http://10.78.0.1:8080/p/s3cret/preseed.cfg"],
      initrds: [{ url: "http://10.78.0.1:8080/tftp/storm/initrd.gz", name: "initrd.gz" }],
    },
    { platform: "efi", label: "cfg-1" },
  );
  assert.deepEqual(scriptBoot(script), {
    kernel: "http://10.78.0.1:8080/tftp/storm/linux",
    initrds: ["http://10.78.0.1:8080/tftp/storm/initrd.gz"],
    provisioning: "http://10.78.0.1:8080/p/s3cret/preseed.cfg",
  });
});

test("the classic stack's static scripts: one chain per machine, a script only for the armed ones", () => {
  const dir = mkdtempSync(join(tmpdir(), "storm-scripts-"));
  try {
    const plan = makePlan({ count: 10, armed: 2, seed: 1, windowMs: 0, sizes });
    writeClassicScripts(dir, plan, "http://10.78.0.1");
    const urls = chainUrls(readFileSync(join(dir, "boot.ipxe"), "utf8"), vars);
    assert.deepEqual(urls, ["http://10.78.0.1/machines/52-54-00-00-00-07.ipxe"]);
    const armed = readFileSync(join(dir, "machines", "52-54-00-00-00-01.ipxe"), "utf8");
    assert.deepEqual(scriptBoot(armed), {
      kernel: "http://10.78.0.1/storm/linux",
      initrds: ["http://10.78.0.1/storm/initrd.gz"],
      provisioning: "http://10.78.0.1/p/52-54-00-00-00-01/preseed.cfg",
    });
    assert.equal(
      readFileSync(join(dir, "p", "52-54-00-00-00-01", "complete"), "utf8"),
      "completed 52:54:00:00:00:01\n",
    );
    assert.throws(() => readFileSync(join(dir, "machines", "52-54-00-00-00-02.ipxe")), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the plan is the same for the same seed: both stacks get the same storm", () => {
  const a = makePlan({ count: 1000, armed: 200, seed: 14, windowMs: 10_000, sizes });
  const b = makePlan({ count: 1000, armed: 200, seed: 14, windowMs: 10_000, sizes });
  assert.deepEqual(a, b);
  assert.equal(a.machines.filter((m) => m.armed).length, 200);
  assert.equal(new Set(a.machines.map((m) => m.mac)).size, 1000);
  assert.equal(new Set(a.machines.map((m) => m.xid)).size, 1000);
  assert.equal(new Set(a.machines.map((m) => m.address)).size, 250);
  assert.notDeepEqual(a, makePlan({ count: 1000, armed: 200, seed: 15, windowMs: 10_000, sizes }));
});
