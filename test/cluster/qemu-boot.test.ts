// Real client across instances: a config armed through instance A is booted by iPXE in QEMU from instance B
// (B's general script, B's machine script, the kernel and initrd), completes, and A's history shows it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { startMirror, type Mirror } from "../../src/core/testing/asset-mirror.js";
import { configEventKinds } from "../support/cluster-steps.js";
import { startEnforcerCluster, type EnforcerCluster } from "../support/enforcer-cluster.js";
import { startEtcdCluster, type EtcdCluster } from "../support/etcd-cluster.js";
import { linuxFixture } from "../support/linux-fixture.js";
import { runVm } from "../support/qemu.js";
import { until } from "../support/until.js";

const MAC = "52:54:00:c4:00:01";

describe("iPXE in QEMU, 3 instances on etcd: armed on A, booted from B", { timeout: 600_000 }, () => {
  let etcd: EtcdCluster;
  let cluster: EnforcerCluster;
  let mirror: Mirror;

  before(async () => {
    const fx = linuxFixture();
    mirror = await startMirror({
      "/os/vmlinuz": { body: readFileSync(fx.kernel) },
      "/os/initrd.gz": { body: readFileSync(fx.initrd) },
    });
    etcd = await startEtcdCluster(3);
    // The asset cache on, as by default: arming on A fetches the files once, the machine loads copies.
    cluster = await startEnforcerCluster(etcd.storeUrl, 3, {
      publicHost: "10.0.2.2",
      extraArgs: ["--asset-cache-size", "256MiB"],
    });
  });
  after(async () => {
    await cluster?.stop();
    await etcd?.stop();
    await mirror?.close();
  });

  test("the VM boots from B what A armed, completes, and A's history shows the boot", async () => {
    const [a, b] = cluster.instances;
    const profile = {
      name: "across",
      family: "custom",
      kernel: `${mirror.url("")}/os/vmlinuz`,
      initrds: [`${mirror.url("")}/os/initrd.gz`],
      cmdline: "console=ttyS0 panic=-1 enforcer.done={{complete_url}}",
    };
    assert.equal((await a!.api("POST", "/profiles", profile)).status, 201);
    const c = await a!.api<{ id: string }>("POST", "/configs", { machine: MAC, profile: "across" });
    const armed = await a!.api<{ state: string }>("POST", `/configs/${c.body.id}/arm`);
    assert.equal(armed.status, 200, JSON.stringify(armed.body));
    await until(
      "B to know the armed config",
      async () =>
        (await b!.api<{ state: string }>("GET", `/configs/${c.body.id}`)).body.state === "armed"
          ? true
          : undefined,
      10_000,
      50,
    );

    const vm = await runVm({ bootUrl: `http://10.0.2.2:${b!.port}/boot.ipxe`, mac: MAC, timeoutMs: 240_000 });
    const tail = vm.output.slice(-3000);
    assert.ok(vm.output.includes("ENF-COMPLETED"), `completion failed:\n${tail}`);
    // Everything the VM loaded over HTTP came from B (iPXE prints each URL it fetches).
    const b_ = `http://10\\.0\\.2\\.2:${b!.port}`;
    assert.match(vm.output, new RegExp(`${b_}/boot\\.ipxe`), `B's general script:\n${tail}`);
    assert.match(vm.output, new RegExp(`${b_}/boot/machine`), `B's machine script:\n${tail}`);
    // The completion URL the kernel got names B too (A armed it with A's URL; B serves it with its own).
    assert.match(vm.output, new RegExp(`enforcer\\.done=${b_}/`), `completion through B:\n${tail}`);
    assert.match(
      vm.output,
      new RegExp(`${b_}/assets/[0-9a-f]+/vmlinuz\\.\\.\\. ok`),
      `kernel from B:\n${tail}`,
    );
    assert.match(
      vm.output,
      new RegExp(`${b_}/assets/[0-9a-f]+/initrd\\.gz\\.\\.\\. ok`),
      `initrd from B:\n${tail}`,
    );
    // A's history: triggered (on B) and completed.
    const kinds = await until(
      "the completion in A's history",
      async () => {
        const k = await configEventKinds(a!, MAC, c.body.id);
        return k.includes("config.completed") ? k : undefined;
      },
      10_000,
      100,
    );
    assert.ok(kinds.includes("config.triggered"), kinds.join(","));
    assert.equal((await a!.api<{ state: string }>("GET", `/configs/${c.body.id}`)).body.state, "completed");
  });
});
