// Attacks on power control in core with the real drivers: a flood of actions on machines whose BMCs hang
// (ipmitool against a UDP port that never answers), another machine's action meanwhile, the timeline of a
// flooded machine, ipmitool children after, and a driver's "fix your setting" error as the operator sees it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { readdirSync, readFileSync } from "node:fs";
import { after, test } from "node:test";
import { createCore } from "../../src/core/create-core.js";
import { PowerPoller } from "../../src/core/power-poller.js";
import type { PowerDriver } from "../../src/core/power-port.js";
import { ManualClock } from "../../src/core/testing/fixtures.js";
import { FakePowerDriver } from "../../src/core/testing/fake-power-driver.js";
import { EnforcerError, isEnforcerError } from "../../src/domain/errors.js";
import { parseMac, type Mac } from "../../src/domain/mac.js";
import { ipmiDriver } from "../../src/power/ipmi/ipmi-driver.js";
import { redfishDriver } from "../../src/power/redfish/redfish-driver.js";
import { wolDriver } from "../../src/power/wol/wol-driver.js";
import {
  startRedfishFake,
  VENDOR_PROFILES,
  type RedfishFake,
} from "../../src/power/testing/redfish-contract-fake.js";
import { MemoryStore } from "../../src/store/testing/fake-stores.js";

const PASSWORD = "Pw-attack-core-1";
const cleanup: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

function powerCore(drivers: PowerDriver[], timeoutMs: number) {
  const settings = { publicUrl: "http://enf.test", retryWindowMs: 60_000, discovery: false, remotes: [] };
  return createCore(
    new MemoryStore(),
    settings,
    new ManualClock(),
    { powerKey: randomBytes(32) },
    undefined,
    {
      drivers,
      timeoutMs,
    },
  );
}

function mac(i: number): Mac {
  return parseMac(
    `52:54:00:a7:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`,
  );
}

/** This process's ipmitool children now (from /proc: their parent is us). */
function ipmitoolChildren(): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const m = /^\d+ \((.*)\) \S (\d+)/.exec(stat);
      if (m && m[1] === "ipmitool" && Number(m[2]) === process.pid) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

function ipmitoolOnPath(): void {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    try {
      readFileSync(`${dir}/ipmitool`);
      return;
    } catch {
      // next
    }
  }
  assert.fail("ipmitool is not installed (scripts/ensure-peers.sh installs it)");
}

test("attack core: 500 actions on 50 hung IPMI BMCs: 5 per machine run or wait, the rest BUSY at once, another machine answers meanwhile, no ipmitool left, the timeline only shows what ran", async () => {
  ipmitoolOnPath();
  const silent = createSocket("udp4");
  await new Promise<void>((r) => silent.bind(0, "127.0.0.1", () => r()));
  cleanup.push(() => void silent.close());
  const port = silent.address().port;
  const fake: RedfishFake = await startRedfishFake({ password: PASSWORD });
  cleanup.push(() => fake.close());
  const core = powerCore(
    // ipmitool's own timeout past the core's: each hung action lasts the core's 2.5 s, so "another machine
    // answers before any hung one ends" has room on a loaded machine.
    [ipmiDriver({ requestTimeoutSec: 5, retries: 0, probeWaitMs: 200 }), redfishDriver()],
    2500,
  );
  const hung = Array.from({ length: 50 }, (_, i) => mac(i + 1));
  for (const m of hung) {
    await core.machines.register(m, {});
    await core.power.set(m, {
      driver: "ipmi",
      address: `127.0.0.1:${port}`,
      username: "admin",
      password: PASSWORD,
    });
  }
  const other = mac(999);
  await core.machines.register(other, {});
  await core.power.set(other, {
    driver: "redfish",
    address: fake.address,
    username: "admin",
    password: PASSWORD,
    tlsFingerprint: fake.fingerprint,
  });
  const rssBefore = process.memoryUsage().rss;
  // The event loop's longest stall while the flood starts: boot routes share it.
  let lag = 0;
  let tick = Date.now();
  const ticker = setInterval(() => {
    const now = Date.now();
    lag = Math.max(lag, now - tick - 20);
    tick = now;
  }, 20);
  cleanup.push(() => clearInterval(ticker));
  const t0 = Date.now();
  let ran = 0; // hung machines' actions that ran and ended (a BUSY refusal ends at once, without a run)
  const outcomes = hung.flatMap((m) =>
    Array.from({ length: 10 }, () =>
      core.power.act(m, "status").then(
        () => "ok",
        (e: unknown) => {
          if (!isEnforcerError(e, "ENF_ERR_POWER_BUSY")) ran++;
          return isEnforcerError(e) ? e.code : String(e);
        },
      ),
    ),
  );
  // While 50 ipmitools wait on their BMCs, another machine's action answers: before any hung one ends
  // (each waits out its timeout), so it did not queue behind them. Order, not a time bound.
  await new Promise((r) => setTimeout(r, 300));
  const t1 = Date.now();
  const o = await core.power.act(other, "status");
  const otherMs = Date.now() - t1;
  assert.equal(o.state, "on");
  assert.equal(ran, 0, "another machine's action ended only after hung BMCs' actions had");
  assert.ok(core.power.running <= 64, `${core.power.running} runs at once`);
  const codes = await Promise.all(outcomes);
  const elapsed = Date.now() - t0;
  clearInterval(ticker);
  // 50 spawns in one tick stalled it 1.2-5 s on this loaded host; one spawn per turn of the loop, 0.2-0.6 s.
  // Printed, not asserted: a time bound in a test fails under CI load (docs/power-attack.md has the numbers).
  const count = (c: string) => codes.filter((x) => x === c).length;
  assert.equal(count("ENF_ERR_POWER_BUSY"), 250, codes.join(" "));
  assert.equal(count("ENF_ERR_POWER_TIMEOUT") + count("ENF_ERR_POWER_UNREACHABLE"), 250, codes.join(" "));
  assert.equal(ipmitoolChildren(), 0, "ipmitool children left");
  assert.ok(process.memoryUsage().rss - rssBefore < 128 * 1024 * 1024, "memory grew");
  // A refused (BUSY) action never ran: it must not leave a "queued" step on the timeline (where 500 of them
  // would push a machine's real history out).
  for (const m of hung) {
    const queued = core.events.forMachine(m).filter((e) => e.kind === "power.queued").length;
    assert.ok(queued <= 5, `${m}: ${queued} power.queued events for 5 actions that ran`);
  }
  console.log(
    `500 actions on 50 hung BMCs: ${elapsed} ms, another machine ${otherMs} ms, longest stall ${lag} ms`,
  );
});

test("attack core: a driver's 'fix your setting' error (a Redfish BMC with several systems, no systemId) reaches the operator as ENF_ERR_POWER_INVALID, not a server error", async () => {
  const fake = await startRedfishFake({ password: PASSWORD, ...VENDOR_PROFILES.severalSystems });
  cleanup.push(() => fake.close());
  const core = powerCore([redfishDriver()], 5000);
  const m = mac(1);
  await core.machines.register(m, {});
  await core.power.set(m, {
    driver: "redfish",
    address: fake.address,
    username: "admin",
    password: PASSWORD,
    tlsFingerprint: fake.fingerprint,
  });
  await assert.rejects(core.power.act(m, "status"), (e) => {
    assert.ok(isEnforcerError(e), String(e));
    assert.equal(e.code, "ENF_ERR_POWER_INVALID", e.message);
    assert.match(e.message, /systemId/);
    return true;
  });
});

test("attack core: a FIFO flood through a held fake driver records no queued step for a refused action", async () => {
  const fake = new FakePowerDriver();
  const core = powerCore([fake], 5000);
  const m = mac(7);
  await core.machines.register(m, {});
  await core.power.set(m, { driver: "ipmi", address: "10.0.0.7", username: "admin", password: PASSWORD });
  fake.behave(m, { kind: "held" });
  const all = Array.from({ length: 200 }, () =>
    core.power.act(m, "status").then(
      () => "ok",
      (e: unknown) => (isEnforcerError(e) ? e.code : "?"),
    ),
  );
  await new Promise((r) => setTimeout(r, 100));
  fake.release();
  fake.behave(m, { kind: "answer" });
  const codes = await Promise.all(all);
  assert.equal(codes.filter((c) => c === "ok").length, 5);
  assert.equal(codes.filter((c) => c === "ENF_ERR_POWER_BUSY").length, 195);
  const kinds = core.events
    .forMachine(m)
    .map((e) => e.kind)
    .filter((k) => k.startsWith("power.") && k !== "power.set");
  assert.equal(kinds.filter((k) => k === "power.queued").length, 5, kinds.join(" "));
  assert.equal(kinds.filter((k) => k === "power.sent").length, 5, kinds.join(" "));
});

test("attack core: a poll of 200 dead BMCs does not hold an operator's action on a live machine", async () => {
  // A dead BMC as a well-behaved driver sees it: nothing until the core's signal, then TIMEOUT.
  let deadEnded = 0;
  const dead: PowerDriver = {
    name: "ipmi",
    actions: ["on", "off", "cycle", "status", "pxe-once"],
    run: (_t, _a, signal) =>
      new Promise((_, reject) =>
        signal.addEventListener(
          "abort",
          () => {
            deadEnded++;
            reject(new EnforcerError("ENF_ERR_POWER_TIMEOUT", "dead"));
          },
          { once: true },
        ),
      ),
  };
  const live = new FakePowerDriver("redfish");
  const core = powerCore([dead, live], 300);
  for (let i = 1; i <= 200; i++) {
    await core.machines.register(mac(i), {});
    await core.power.set(mac(i), {
      driver: "ipmi",
      address: `10.0.${i >> 8}.${i & 255}`,
      username: "u",
      password: "p",
    });
  }
  const ok = mac(900);
  await core.machines.register(ok, {});
  await core.power.set(ok, { driver: "redfish", address: "10.9.9.9", username: "u", password: "p" });
  const poll = new PowerPoller(core.power).poll();
  await new Promise((r) => setTimeout(r, 50));
  await core.power.act(ok, "on");
  // Before: the poll took all 64 global slots, and the live machine waited for one to free (a dead run to
  // end); and every machine past the 64th was skipped as busy, never asked. Order, not a time bound.
  const endedBefore = deadEnded;
  const r = await poll;
  assert.equal(r.failed, 200, JSON.stringify(r));
  assert.equal(endedBefore, 0, "an operator's action waited for a dead BMC's run to end");
});

test("attack core: Wake-on-LAN is no amplifier: 100 'on' at once for one machine send at most 5 actions' packets, port 0 and 'this host' are refused", async () => {
  const listener = createSocket("udp4");
  await new Promise<void>((r) => listener.bind(0, "127.0.0.1", () => r()));
  cleanup.push(() => void listener.close());
  let packets = 0;
  listener.on("message", () => packets++);
  const core = powerCore([wolDriver()], 5000);
  const m = mac(77);
  await core.machines.register(m, {});
  await core.power.set(m, { driver: "wol", address: `127.0.0.1:${listener.address().port}` });
  const codes = await Promise.all(
    Array.from({ length: 100 }, () =>
      core.power.act(m, "on").then(
        () => "ok",
        (e: unknown) => (isEnforcerError(e) ? e.code : String(e)),
      ),
    ),
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(codes.filter((c) => c === "ok").length, 5);
  assert.equal(codes.filter((c) => c === "ENF_ERR_POWER_BUSY").length, 95);
  // Each action is a few 102-byte packets to the one address an admin set; 5 actions, no more.
  assert.ok(packets <= 5 * 3, `${packets} packets`);
  for (const address of ["127.0.0.1:0", "0.0.0.0", "[::]:9", "[::1%lo]:9", "-1.2.3.4"]) {
    await assert.rejects(
      core.power.set(m, { driver: "wol", address }),
      (e) => isEnforcerError(e, "ENF_ERR_POWER_INVALID"),
      address,
    );
  }
});

test("attack core: a PUT that changes or drops the pinned certificate without the password does not keep it (it would go to whoever holds the new certificate)", async () => {
  const core = powerCore([new FakePowerDriver("redfish")], 5000);
  const m = mac(55);
  await core.machines.register(m, {});
  const pinned = {
    driver: "redfish" as const,
    address: "10.0.0.55",
    username: "admin",
    tlsFingerprint: "a".repeat(64),
  };
  await core.power.set(m, { ...pinned, password: PASSWORD });
  // Nothing moved: the stored password stays.
  assert.equal((await core.power.set(m, pinned)).hasPassword, true);
  for (const moved of [
    { ...pinned, tlsFingerprint: "b".repeat(64) },
    { driver: "redfish" as const, address: "10.0.0.55", username: "admin" },
  ]) {
    await assert.rejects(core.power.set(m, moved), (e) => {
      assert.ok(isEnforcerError(e, "ENF_ERR_POWER_INVALID"), String(e));
      assert.match(e.message, /password: required/);
      return true;
    });
  }
});
