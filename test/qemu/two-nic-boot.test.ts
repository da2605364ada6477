// Real client: iPXE in QEMU with two NICs of the same model, booting from one of them. Enforcer must know
// the machine by the MAC of the NIC that booted, whichever PCI slot it sits in (docs/dhcp.md, "Which NIC
// names a machine").
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { linuxFixture } from "../support/linux-fixture.js";
import { runVm, type VmNic } from "../support/qemu.js";
import { serveFiles } from "../support/static-files.js";
import { armTestLinux } from "../support/test-config.js";

const A = "52:54:00:5e:01:0a";
const B = "52:54:00:5e:01:0b";
const C = "52:54:00:5e:02:0c";
const D = "52:54:00:5e:02:0d";

describe("iPXE in QEMU with two NICs: the booting NIC's MAC names the machine", { timeout: 300_000 }, () => {
  let enf: EnforcerProcess;
  let mirror: Awaited<ReturnType<typeof serveFiles>>;

  before(async () => {
    const fx = linuxFixture();
    mirror = await serveFiles([fx.kernel, fx.initrd]);
    enf = await startEnforcer([], { publicHost: "10.0.2.2" });
  });
  after(async () => {
    await enf?.stop();
    await mirror?.close();
  });

  const boot = (nics: VmNic[], stopOn: string) =>
    runVm({
      bootUrl: `http://10.0.2.2:${enf.port}/boot.ipxe`,
      mac: nics[0]!.mac,
      nics,
      stopOn,
      timeoutMs: 120_000,
    });
  const known = async (mac: string) => (await enf.api("GET", `/machines/${mac}`)).status === 200;

  test("booting from the second NIC: the armed config for the second MAC boots; the first MAC is never seen", async () => {
    const id = await armTestLinux(enf, B, "second-nic", `http://10.0.2.2:${mirror.port}`);
    const vm = await boot(
      [
        { mac: A, model: "virtio-net-pci", boots: false },
        { mac: B, model: "virtio-net-pci", boots: true },
      ],
      "ENF-INITRD-UP",
    );
    // iPXE drives both NICs and boots from net1; net0 (A) is there too, so `${net0/mac}` would have named A.
    assert.match(vm.output, new RegExp(`net1: ${B} using virtio-net`), vm.output.slice(-3000));
    assert.match(vm.output, /net0: fe80::/, vm.output.slice(-3000));
    assert.match(vm.output, new RegExp(`Enforcer: ${B} pcbios`), vm.output.slice(-3000));
    assert.ok(vm.output.includes("ENF-INITRD-UP"), `the config never booted:\n${vm.output.slice(-3000)}`);
    assert.equal((await enf.api<{ state: string }>("GET", `/configs/${id}`)).body.state, "triggered");
    assert.equal(await known(A), false, "the non-booting NIC's MAC was recorded as a machine");
  });

  test("the reverse order: booting from the first NIC names the machine by the first MAC", async () => {
    const vm = await boot(
      [
        { mac: C, model: "virtio-net-pci", boots: true },
        { mac: D, model: "virtio-net-pci", boots: false },
      ],
      "Enforcer: no config here",
    );
    assert.match(vm.output, new RegExp(`net0: ${C} using virtio-net`), vm.output.slice(-3000));
    assert.match(vm.output, /net1: fe80::/, vm.output.slice(-3000));
    assert.match(vm.output, new RegExp(`Enforcer: ${C} pcbios`), vm.output.slice(-3000));
    assert.equal(await known(C), true, "the booting NIC's MAC was not recorded");
    assert.equal(await known(D), false, "the non-booting NIC's MAC was recorded as a machine");
  });
});
