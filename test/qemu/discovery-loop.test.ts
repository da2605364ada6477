// The whole story, no step faked: an unknown VM boots Enforcer's discovery image, its shell agent reports,
// a config is armed through the API and a reboot sent through the agent; the VM boots the config once,
// completes it, and its next boot is its local disk.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildDiscoveryImage } from "../../src/discovery/build.js";
import { LOCAL_DISK_MARKER, writeBootDisk } from "../support/boot-disk.js";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { linuxFixture } from "../support/linux-fixture.js";
import { runVm } from "../support/qemu.js";
import { serveFiles } from "../support/static-files.js";
import { armTestLinux } from "../support/test-config.js";
import { until } from "../support/until.js";

const MAC = "52:54:00:aa:bb:01";
const UUID = "8c3e2a51-0d6f-4b8e-9a77-1f2e3d4c5b6a";
const SERIAL = "RACK3-U17";

describe(
  "discovery, inventory, arm, reboot through the agent, one boot, local disk",
  { timeout: 900_000 },
  () => {
    let enf: EnforcerProcess;
    let mirror: Awaited<ReturnType<typeof serveFiles>>;
    let disk: string;

    before(async () => {
      const work = mkdtempSync(join(tmpdir(), "enforcer-discovery-test-"));
      const image = join(work, "discovery");
      buildDiscoveryImage(image);
      const fx = linuxFixture();
      mirror = await serveFiles([fx.kernel, fx.initrd]);
      disk = join(work, "disk.img");
      writeBootDisk(disk);
      enf = await startEnforcer(["--discovery", "--discovery-image", image], { publicHost: "10.0.2.2" });
    });
    after(async () => {
      await enf?.stop();
      await mirror?.close();
    });

    const boot = (timeoutMs: number) =>
      runVm({
        bootUrl: `http://10.0.2.2:${enf.port}/boot.ipxe`,
        mac: MAC,
        uuid: UUID,
        serial: SERIAL,
        disk,
        timeoutMs,
      });

    test("the whole loop", async () => {
      // 1. Unknown machine, discovery on: the discovery image boots and its agent reports.
      const discovering = boot(300_000);
      const machine = await until(
        "the agent's inventory",
        async () => {
          const r = await enf.api<{
            uuid?: string;
            serial?: string;
            facts: Record<string, unknown>;
            agents?: string[];
          }>("GET", `/machines/${MAC}`);
          return r.status === 200 && Object.keys(r.body.facts).length > 0 ? r.body : undefined;
        },
        180_000,
      );
      assert.equal(machine.uuid, UUID);
      assert.equal(machine.serial, SERIAL);
      assert.deepEqual(machine.agents, ["json:discovery"]);
      const nics = machine.facts.nics as { mac: string; driver: string }[];
      assert.ok(
        nics.some((n) => n.mac === MAC && n.driver === "virtio_net"),
        JSON.stringify(nics),
      );
      assert.ok((machine.facts.memoryKiB as number) > 400_000);

      // 2. Through the API: a config from a profile, armed; a reboot through the agent.
      const id = await armTestLinux(enf, MAC, "after-discovery", `http://10.0.2.2:${mirror.port}`);
      const cmd = await enf.api<{ id: string }>("POST", "/commands", { machine: MAC, type: "reboot" });
      assert.equal(cmd.status, 202);
      const first = await discovering; // the agent reboots the VM; QEMU runs with -no-reboot, so it exits
      assert.ok(first.output.includes("ENF-AGENT-REPORTED"), first.output.slice(-3000));
      assert.ok(first.output.includes("ENF-AGENT-REBOOT"), first.output.slice(-3000));
      const command = await enf.api<{ state: string }>("GET", `/commands/${cmd.body.id}`);
      assert.equal(command.body.state, "acknowledged");

      // 3. The next boot: the armed config, once; the initrd calls the completion URL.
      const second = await boot(240_000);
      assert.ok(second.output.includes("ENF-COMPLETED"), second.output.slice(-3000));
      assert.equal((await enf.api<{ state: string }>("GET", `/configs/${id}`)).body.state, "completed");

      // 4. And the boot after that: the local disk (known machine, nothing armed, so no discovery either).
      const third = await boot(120_000);
      assert.ok(third.output.includes(LOCAL_DISK_MARKER), third.output.slice(-2000));
      assert.ok(!third.output.includes("ENF-DISCOVERY-UP") && !third.output.includes("ENF-INITRD-UP"));

      const kinds = (
        await enf.api<{ items: { kind: string }[] }>("GET", `/machines/${MAC}/events`)
      ).body.items.map((e) => e.kind);
      for (const k of [
        "machine.seen",
        "machine.updated",
        "config.armed",
        "command.queued",
        "command.sent",
        "command.acknowledged",
        "config.triggered",
        "config.completed",
      ]) {
        assert.ok(kinds.includes(k), `${k} missing from ${kinds.join(", ")}`);
      }
    });
  },
);
