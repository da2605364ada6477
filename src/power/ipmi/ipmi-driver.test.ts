import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { PowerTarget } from "../../core/power-port.js";
import { isEnforcerError } from "../../domain/errors.js";
import { memoryChassis, startIpmiSim, type IpmiSim, type MemoryChassis } from "../testing/ipmi-sim.js";
import { ipmiDriver } from "./ipmi-driver.js";

// Real ipmi_sim (Debian openipmi) on loopback, real ipmitool: every action as a BMC answers it.
const PASSWORD = "Sim-pw.7f3a9";
let sim: IpmiSim;
let chassis: MemoryChassis;
const driver = ipmiDriver();
const target = (o: Partial<PowerTarget> = {}): PowerTarget => ({
  machine: "m1",
  address: sim.address,
  username: "admin",
  password: PASSWORD,
  options: {},
  ...o,
});
const run = (action: Parameters<typeof driver.run>[1], t = target()) =>
  driver.run(t, action, AbortSignal.timeout(10_000));

before(async () => {
  chassis = memoryChassis();
  sim = await startIpmiSim({ username: "admin", password: PASSWORD, chassis });
});
after(() => sim?.stop());

test("ipmi: status tells off, then on after `on`, then off after `off`, in the BMC's words", async () => {
  assert.deepEqual(await run("status"), { state: "off", detail: "Chassis Power is off" });
  assert.deepEqual(await run("on"), { state: "on", detail: "Chassis Power Control: Up/On" });
  assert.equal(chassis.on, true, "the chassis was powered on");
  assert.deepEqual(await run("status"), { state: "on", detail: "Chassis Power is on" });
  assert.deepEqual(await run("off"), { state: "off", detail: "Chassis Power Control: Down/Off" });
  assert.equal(chassis.on, false);
});

test("ipmi: cycle of an off chassis powers it on; of a running one, cycles it (off, then on again)", async () => {
  chassis.on = false;
  const fromOff = await run("cycle");
  assert.equal(fromOff.state, "on");
  assert.match(fromOff.detail, /Up\/On \(it was off\)/);
  assert.equal(chassis.on, true);
  const calls = sim.calls().length;
  assert.deepEqual(await run("cycle"), { state: "on", detail: "Chassis Power Control: Cycle" });
  // ipmi_sim's cycle is an off now and an on a second later.
  assert.deepEqual(sim.calls().slice(calls), ["get power", "set power 0"]);
  await until(() => chassis.on, 5000);
  assert.ok(sim.calls().slice(calls).includes("set power 1"), "powered on again after the off");
});

test("ipmi: pxe-once sets the next boot to PXE, once, with the EFI flag only for uefi", async () => {
  chassis.boot = "default";
  const flags = sim.bootFlags().length;
  assert.deepEqual(await run("pxe-once", target({ options: { bootMode: "legacy" } })), {
    detail: "Set Boot Device to pxe",
  });
  assert.equal(chassis.boot, "pxe", "the chassis' boot device");
  await run("pxe-once", target({ options: { bootMode: "uefi" } }));
  await run("pxe-once");
  // The sim's message log reaches us through its stdout pipe, maybe after ipmitool's answer.
  await until(() => sim.bootFlags().length >= flags + 3, 2000);
  assert.deepEqual(sim.bootFlags().slice(flags), [
    { device: "pxe", efi: false, persistent: false },
    { device: "pxe", efi: true, persistent: false },
    { device: "pxe", efi: false, persistent: false },
  ]);
});

test("ipmi: a wrong password is ENF_ERR_POWER_AUTH with the BMC's words, and the password is in no message", async () => {
  chassis.on = false;
  const wrong = "Wrong-pw.55c1";
  await assert.rejects(run("status", target({ password: wrong })), (e: unknown) => {
    assert.ok(isEnforcerError(e, "ENF_ERR_POWER_AUTH"), String(e));
    assert.match(e.message, /RAKP 2 HMAC is invalid/);
    assert.ok(!e.message.includes(wrong) && !e.message.includes(PASSWORD));
    return true;
  });
  await assert.rejects(run("on", target({ username: "nobody" })), (e: unknown) => {
    assert.ok(isEnforcerError(e, "ENF_ERR_POWER_AUTH"), String(e));
    assert.match(e.message, /unauthorized name/);
    assert.ok(!e.message.includes(PASSWORD));
    return true;
  });
  assert.equal(chassis.on, false, "nothing was powered on");
});

test("ipmi: the cipher suite is the target's: 0-3 work on ipmi_sim, 17 (SHA-256) is refused in its words", async () => {
  for (const cipherSuite of [0, 3])
    assert.equal((await run("status", target({ options: { cipherSuite } }))).state, "off");
  await assert.rejects(run("status", target({ options: { cipherSuite: 17 } })), (e: unknown) => {
    assert.ok(isEnforcerError(e, "ENF_ERR_POWER_REFUSED"), String(e));
    assert.match(e.message, /invalid authentication algorithm/);
    return true;
  });
});

test("ipmi: a chassis that fails is the BMC refusing: ENF_ERR_POWER_REFUSED in its words, nothing changed", async () => {
  const setPower = chassis.setPower;
  chassis.setPower = () => {
    throw new Error("the power supply is out");
  };
  try {
    await assert.rejects(run("on"), (e: unknown) => {
      assert.ok(isEnforcerError(e, "ENF_ERR_POWER_REFUSED"), String(e));
      assert.match(e.message, /Set Chassis Power Control to Up\/On failed: Unspecified error/);
      return true;
    });
  } finally {
    chassis.setPower = setPower;
  }
  assert.equal(chassis.on, false);
});

test("ipmi: a user below operator privilege is ENF_ERR_POWER_AUTH, also when ipmitool exits 0 (bootdev)", async () => {
  // ipmi_sim grants the requested operator session whatever the user's limit, so this replays what the real
  // ipmitool 1.8.19 printed against it in a USER session (-L USER): `chassis bootdev` exits 0 all the same.
  const dir = mkdtempSync(join(tmpdir(), "enforcer-ipmitool-replay-"));
  try {
    const tool = join(dir, "ipmitool");
    const said = [
      "Get HPM.x Capabilities request failed, compcode = d4",
      "Invalid completion code received: Insufficient privilege level",
      "Set Chassis Boot Parameter 4 failed: Insufficient privilege level",
      "Set Chassis Boot Parameter 5 failed: Insufficient privilege level",
    ];
    writeFileSync(tool, `#!/bin/sh\nprintf '%s\\n' ${said.map((l) => `'${l}'`).join(" ")} >&2\nexit 0\n`, {
      mode: 0o700,
    });
    const replay = ipmiDriver({ ipmitool: tool });
    await assert.rejects(replay.run(target(), "pxe-once", AbortSignal.timeout(5000)), (e: unknown) => {
      assert.ok(isEnforcerError(e, "ENF_ERR_POWER_AUTH"), String(e));
      assert.match(
        e.message,
        /lacks operator privilege.*Set Chassis Boot Parameter 4 failed: Insufficient privilege level/,
      );
      assert.doesNotMatch(e.message, /HPM/, "ipmitool's start-up chatter is left out");
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ipmi: output is bounded: an ipmitool that writes without end is cut at 64 KiB and killed, BAD_ANSWER", async () => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-ipmitool-flood-"));
  try {
    const tool = join(dir, "ipmitool");
    writeFileSync(tool, "#!/bin/sh\nexec yes 'Chassis Power is on'\n", { mode: 0o700 });
    await assert.rejects(
      ipmiDriver({ ipmitool: tool }).run(target(), "status", AbortSignal.timeout(5000)),
      (e: unknown) => {
        assert.ok(isEnforcerError(e, "ENF_ERR_POWER_BAD_ANSWER"), String(e));
        assert.match(e.message, /more than 64 KiB/);
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ipmi: ipmitool missing is ENF_ERR_POWER_TOOL_MISSING", async () => {
  const missing = ipmiDriver({ ipmitool: "/nonexistent/ipmitool" });
  await assert.rejects(missing.run(target(), "status", AbortSignal.timeout(5000)), (e: unknown) =>
    isEnforcerError(e, "ENF_ERR_POWER_TOOL_MISSING"),
  );
});

async function until(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
