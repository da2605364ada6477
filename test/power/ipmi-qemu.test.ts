// IPMI for real: ipmi_sim drives a QEMU VM as its chassis, and the VM's firmware boots its disk first.
// Hand-driven with ipmitool until the power API lands.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { LOCAL_DISK_MARKER } from "../support/boot-disk.js";
import { startIpmiSim, type IpmiSim } from "../../src/power/testing/ipmi-sim.js";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { QemuChassis } from "../support/ipmi-chassis.js";
import { discoveryFixture, linuxFixture } from "../support/linux-fixture.js";
import { serveFiles } from "../support/static-files.js";
import { armTestLinux } from "../support/test-config.js";
import { until } from "../support/until.js";

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
    enf = await startEnforcer(["--discovery", "--discovery-image", image.dir], { publicHost: "10.0.2.2" });
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

  // Never a sync child: the chassis answers ipmi_sim from this very process.
  const ipmitool = async (...args: string[]) =>
    (
      await promisify(execFile)(
        "ipmitool",
        ["-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", String(bmc.port), "-U", "admin", "-E", ...args],
        { env: { ...process.env, IPMI_PASSWORD: PASSWORD } },
      )
    ).stdout.trim();

  test("off; pxe-once and on: discovery; pxe-once and cycle: the config, once; cycle: the disk", async () => {
    const t0 = Date.now();
    const lap = (what: string) => console.log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.equal(await ipmitool("chassis", "power", "status"), "Chassis Power is off");
    assert.equal(chassis.on, false);

    await ipmitool("chassis", "bootdev", "pxe");
    await ipmitool("chassis", "power", "on");
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
    assert.equal(chassis.boots[0]?.from, "pxe");
    lap("discovered");

    const id = await armTestLinux(enf, MAC, "ipmi-proof", `http://10.0.2.2:${mirror.port}`);
    await ipmitool("chassis", "bootdev", "pxe");
    await ipmitool("chassis", "power", "cycle");
    await until(
      "the config's completion",
      async () => {
        const c = await enf.api<{ state: string }>("GET", `/configs/${id}`);
        return c.body.state === "completed" ? true : undefined;
      },
      120_000,
      500,
    );
    const second = chassis.boots.at(-1)!;
    assert.equal(second.from, "pxe");
    await chassis.waitFor("ENF-COMPLETED", second.at, 10_000);
    // The test initrd powers off after completing: QEMU ends and the BMC reads off.
    await until("the VM's poweroff", async () => (chassis.on ? undefined : true), 30_000);
    assert.equal(await ipmitool("chassis", "power", "status"), "Chassis Power is off");
    lap("completed");

    await ipmitool("chassis", "power", "on");
    const third = chassis.boots.at(-1)!;
    assert.equal(third.from, "disk");
    await chassis.waitFor(LOCAL_DISK_MARKER, third.at, 60_000);
    // The NIC's ROM prints its banner on every POST; only a network boot asks DHCP for the boot file.
    assert.ok(!chassis.output().slice(third.at).includes("boot.ipxe"), "the third boot went to the network");
    lap("local disk");
  });
});
