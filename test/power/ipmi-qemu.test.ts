// IPMI for real: ipmi_sim drives a QEMU VM as its chassis, and the VM's firmware boots its disk first.
// Everything goes through a real Enforcer and its CLI: power set (password from a file), pxe-once and on
// start the VM into discovery; a config is armed; `commands reboot` goes through the BMC (pxe-once, cycle)
// and the VM boots the config once; the next power cycle boots the local disk.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startIpmiSim, type IpmiSim } from "../../src/power/testing/ipmi-sim.js";
import { LOCAL_DISK_MARKER } from "../support/boot-disk.js";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { QemuChassis } from "../support/ipmi-chassis.js";
import { discoveryFixture, linuxFixture } from "../support/linux-fixture.js";
import { serveFiles } from "../support/static-files.js";
import { armTestLinux } from "../support/test-config.js";
import { until } from "../support/until.js";
import { enforcerCli, type CliRun } from "./power-cli.js";

const MAC = "52:54:00:aa:bb:16";
const UUID = "6b1f0e2a-16a1-4c5d-9e8f-0a1b2c3d4e16";
const SERIAL = "RACK16-U1";
const PASSWORD = "ipmi-proof-Pw16";

describe("IPMI for real: ipmi_sim powers a disk-first QEMU VM", { timeout: 300_000 }, () => {
  let enf: EnforcerProcess;
  let mirror: Awaited<ReturnType<typeof serveFiles>>;
  let chassis: QemuChassis;
  let bmc: IpmiSim;

  before(async () => {
    const image = discoveryFixture();
    const fx = linuxFixture();
    mirror = await serveFiles([fx.kernel, fx.initrd]);
    // power,agent: a disk-first machine needs the BMC's pxe-once for its config, so its reboots go through
    // the BMC even while its (discovery) agent still polls. The default order is proven in credentials.test.
    const args = ["--discovery", "--discovery-image", image.dir, "--reboot-order", "power,agent"];
    enf = await startEnforcer(args, { publicHost: "10.0.2.2" });
    chassis = QemuChassis.start({
      mac: MAC,
      uuid: UUID,
      serial: SERIAL,
      bootUrl: `http://10.0.2.2:${enf.port}/boot.ipxe`,
    });
    bmc = await startIpmiSim({ chassis, username: "admin", password: PASSWORD });
  });
  after(async () => {
    await bmc?.stop();
    const pids = chassis?.pids ?? [];
    await chassis?.stop();
    await enf?.stop();
    await mirror?.close();
    assert.deepEqual(chassis?.strays() ?? [], [], `QEMU still runs: ${pids.join(", ")}`);
  });

  const cli = async (...args: string[]): Promise<CliRun> => {
    const r = await enforcerCli(enf.base, enf.token, args);
    assert.equal(r.code, 0, `enforcer ${args.join(" ")}: ${r.stdout}${r.stderr}`);
    return r;
  };

  test("off; pxe-once and on: discovery; reboot through the BMC: the config, once; cycle: the disk", async () => {
    const t0 = Date.now();
    const lap = (what: string) => console.log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // The machine is registered and given its BMC; the password only from a file.
    assert.equal((await enf.api("POST", "/machines", { mac: MAC })).status, 201);
    const pwFile = join(enf.data, "..", `bmc-password-${process.pid}`);
    writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
    const set = await cli(
      ...["power", "set", MAC, "--driver", "ipmi", "--address", bmc.address, "--username", "admin"],
      ...["--password-file", pwFile, "--boot-mode", "legacy"],
    );
    assert.ok(!set.stdout.includes(PASSWORD));
    assert.match((await cli("power", "status", MAC, "--json")).stdout, /"state":\s*"off"/);
    assert.equal(chassis.on, false);

    // 1. Off, disk first: pxe-once then on, and it network-boots into discovery and reports.
    await cli("power", "pxe-once", MAC);
    assert.equal(chassis.pxeNext, true);
    assert.match((await cli("power", "on", MAC, "--json")).stdout, /"state":\s*"on"/);
    const machine = await until(
      "the discovery agent's inventory",
      async () => {
        const r = await enf.api<{ uuid?: string; facts: Record<string, unknown> }>("GET", `/machines/${MAC}`);
        return r.status === 200 && Object.keys(r.body.facts).length > 0 ? r.body : undefined;
      },
      120_000,
      500,
    );
    assert.equal(machine.uuid, UUID);
    assert.deepEqual(
      chassis.boots.map((b) => b.from),
      ["pxe"],
    );
    lap("discovered");

    // 2. A config is armed; the machine is off (as one racked and never provisioned would be). The reboot
    // goes through the BMC: pxe-once, then cycle (an off chassis is powered on); the config boots once.
    // Off first because a JSON agent's open long poll takes a queued reboot even with power,agent (see the
    // proof's report): here QEMU's end closes the discovery agent's poll.
    const id = await armTestLinux(enf, MAC, "ipmi-proof", `http://10.0.2.2:${mirror.port}`);
    await cli("power", "off", MAC);
    assert.equal(chassis.on, false);
    const reboot = JSON.parse((await cli("commands", "reboot", MAC, "--json")).stdout) as {
      id: string;
      state: string;
      agent?: string;
    };
    const command = await until("the reboot's delivery", async () => {
      const c = await enf.api<{ state: string; agent?: string; detail?: string }>(
        "GET",
        `/commands/${reboot.id}`,
      );
      return c.body.state === "queued" || c.body.state === "sent" ? undefined : c.body;
    });
    assert.equal(command.state, "acknowledged", JSON.stringify(command));
    assert.equal(command.agent, "power:ipmi");
    await until(
      "the config's completion",
      async () => {
        const c = await enf.api<{ state: string }>("GET", `/configs/${id}`);
        return c.body.state === "completed" ? true : undefined;
      },
      120_000,
      500,
    );
    const second = chassis.boots[1];
    assert.equal(second?.from, "pxe", JSON.stringify(chassis.boots));
    await chassis.waitFor("ENF-COMPLETED", second.at, 10_000);
    // The test initrd powers off after completing: QEMU ends and the BMC reads off.
    await until("the VM's poweroff", async () => (chassis.on ? undefined : true), 30_000);
    assert.match((await cli("power", "status", MAC, "--json")).stdout, /"state":\s*"off"/);
    lap("config completed");

    // 3. A plain cycle (no pxe-once): the firmware boots the local disk; the config stays completed.
    await cli("power", "cycle", MAC);
    const third = chassis.boots[2];
    assert.equal(third?.from, "disk", JSON.stringify(chassis.boots));
    await chassis.waitFor(LOCAL_DISK_MARKER, third.at, 60_000);
    // The NIC's ROM prints its banner on every POST; only a network boot asks DHCP for the boot file.
    assert.ok(!chassis.output().slice(third.at).includes("boot.ipxe"), "the third boot went to the network");
    assert.equal((await enf.api<{ state: string }>("GET", `/configs/${id}`)).body.state, "completed");
    await cli("power", "off", MAC);
    assert.equal(chassis.on, false);
    lap("local disk");

    // What the BMC was asked, in order: each boot override right before the power change it was for.
    const calls = bmc.calls().filter((c) => c.startsWith("set "));
    assert.deepEqual(calls, [
      "set boot pxe", // 1. pxe-once
      "set power 1", //    on
      "set power 0", // 2. off
      "set boot pxe", //   the reboot's pxe-once
      "set power 1", //    and its cycle of an off chassis
      "set power 1", // 3. cycle of the chassis the config's poweroff left off
      "set power 0", //    off
    ]);
    assert.ok(bmc.bootFlags().every((f) => f.device === "pxe" && !f.efi && !f.persistent));

    // The timeline: every power step, the reboot's with its command; the config triggered once.
    const events = (
      await enf.api<{ items: { kind: string; detail?: Record<string, unknown> }[] }>(
        "GET",
        `/machines/${MAC}/events`,
      )
    ).body.items;
    const kinds = events.map((e) => e.kind);
    for (const k of ["power.set", "power.queued", "power.sent", "power.done", "power.state"])
      assert.ok(kinds.includes(k), `${k} missing from ${kinds.join(", ")}`);
    const forReboot = events.filter((e) => e.kind.startsWith("power.") && e.detail?.command === reboot.id);
    assert.deepEqual(
      forReboot.filter((e) => e.kind === "power.done").map((e) => e.detail?.action),
      ["pxe-once", "cycle"],
    );
    assert.equal(kinds.filter((k) => k === "config.triggered").length, 1);
    assert.ok(!kinds.includes("power.failed"), kinds.join(", "));
    assert.ok(!JSON.stringify(events).includes(PASSWORD));
  });
});
