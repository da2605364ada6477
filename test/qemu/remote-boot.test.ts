// Real client: iPXE in QEMU falls from one Enforcer to the --remote one that holds the machine's config.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { linuxFixture } from "../support/linux-fixture.js";
import { runVm } from "../support/qemu.js";
import { armTestLinux } from "../support/test-config.js";
import { serveFiles } from "../support/static-files.js";

const MAC = "52:54:00:12:34:77";

describe("iPXE in QEMU: two Enforcers, the remote one holds the config", { timeout: 600_000 }, () => {
  let first: EnforcerProcess;
  let second: EnforcerProcess;
  let mirror: Awaited<ReturnType<typeof serveFiles>>;

  before(async () => {
    const fx = linuxFixture();
    mirror = await serveFiles([fx.kernel, fx.initrd]);
    second = await startEnforcer([], { publicHost: "10.0.2.2" });
    first = await startEnforcer(["--remote", `http://10.0.2.2:${second.port}`], { publicHost: "10.0.2.2" });
  });
  after(async () => {
    await first?.stop();
    await second?.stop();
    await mirror?.close();
  });

  test("the VM boots the second instance's config and completes it there", async () => {
    const id = await armTestLinux(second, MAC, "remote-linux", `http://10.0.2.2:${mirror.port}`);

    const vm = await runVm({
      bootUrl: `http://10.0.2.2:${first.port}/boot.ipxe`,
      mac: MAC,
      timeoutMs: 240_000,
    });
    assert.match(vm.output, /Enforcer: no config here/);
    assert.ok(vm.output.includes("ENF-COMPLETED"), `completion failed:\n${vm.output.slice(-3000)}`);
    assert.equal((await second.api<{ state: string }>("GET", `/configs/${id}`)).body.state, "completed");
    // The first instance saw the machine but holds nothing for it.
    const seen = await first.api<{ id: string; config: unknown }>("GET", `/machines/${MAC}`);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.config, null);
  });
});
