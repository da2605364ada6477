// A boot through the asset cache, with real clients: iPXE in QEMU boots a profile whose kernel and initrd
// live on a loopback "mirror" the guest cannot reach (127.0.0.1 is the guest itself); arming fetches each
// file from the mirror exactly once and the machine loads Enforcer's copies from /assets/. Then the mirror
// goes away and a second machine is armed and booted from the same profile: a rack without internet.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { startMirror, type Mirror } from "../../src/core/testing/asset-mirror.js";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { linuxFixture } from "../support/linux-fixture.js";
import { runVm } from "../support/qemu.js";

const FIRST = "52:54:00:a5:00:01";
const SECOND = "52:54:00:a5:00:02";

describe(
  "iPXE in QEMU boots through the asset cache, and again without the mirror",
  { timeout: 600_000 },
  () => {
    let enf: EnforcerProcess;
    let mirror: Mirror;

    before(async () => {
      const fx = linuxFixture();
      mirror = await startMirror({
        "/os/vmlinuz": { body: readFileSync(fx.kernel) },
        "/os/initrd.gz": { body: readFileSync(fx.initrd) },
      });
      enf = await startEnforcer(["--asset-cache-size", "256MiB"], { publicHost: "10.0.2.2" });
      const profile = {
        name: "mirrored",
        family: "custom",
        kernel: `${mirror.url("")}/os/vmlinuz`,
        initrds: [`${mirror.url("")}/os/initrd.gz`],
        cmdline: "console=ttyS0 panic=-1 enforcer.done={{complete_url}}",
      };
      assert.equal((await enf.api("POST", "/profiles", profile)).status, 201);
    });
    after(async () => {
      await enf?.stop();
      await mirror?.close();
    });

    const armAndBoot = async (mac: string) => {
      const c = await enf.api<{ id: string }>("POST", "/configs", { machine: mac, profile: "mirrored" });
      const armed = await enf.api<{ state: string; spec: { kernel: string } }>(
        "POST",
        `/configs/${c.body.id}/arm`,
      );
      assert.equal(armed.status, 200, JSON.stringify(armed.body));
      assert.match(
        armed.body.spec.kernel,
        new RegExp(`^http://10\\.0\\.2\\.2:${enf.port}/assets/[0-9a-f]{16}/vmlinuz$`),
      );
      const vm = await runVm({ bootUrl: `http://10.0.2.2:${enf.port}/boot.ipxe`, mac, timeoutMs: 180_000 });
      assert.ok(vm.output.includes("ENF-INITRD-UP"), `initrd never ran:\n${vm.output.slice(-3000)}`);
      assert.ok(vm.output.includes("ENF-COMPLETED"), `completion failed:\n${vm.output.slice(-3000)}`);
      assert.match(
        vm.output,
        /\/assets\/[0-9a-f]{16}\/vmlinuz\.\.\. ok/,
        "iPXE fetched the kernel from /assets/",
      );
      assert.equal(
        (await enf.api<{ state: string }>("GET", `/configs/${c.body.id}`)).body.state,
        "completed",
      );
    };

    test("arming fetches each file from the mirror once; the machine boots Enforcer's copies and completes", async () => {
      await armAndBoot(FIRST);
      assert.equal(mirror.hits("/os/vmlinuz"), 1);
      assert.equal(mirror.hits("/os/initrd.gz"), 1);
    });

    test("with the mirror stopped, another machine is armed from the same profile and boots", async () => {
      await mirror.close();
      await armAndBoot(SECOND);
      const { items } = (
        await enf.api<{ items: { name: string; lastUsedAt: string; fetchedAt: string }[] }>("GET", "/assets")
      ).body;
      assert.deepEqual(items.map((a) => a.name).sort(), ["initrd.gz", "vmlinuz"]);
      for (const a of items) assert.ok(a.lastUsedAt > a.fetchedAt, `${a.name}: the boots are its last use`);
    });
  },
);
