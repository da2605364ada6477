import assert from "node:assert/strict";
import { after, test } from "node:test";
import { WITHHELD_WORDS, type PowerTarget } from "../../core/power-port.js";
import { EnforcerError } from "../../domain/errors.js";
import type { PowerAction, PowerOptions } from "../../domain/power.js";
import {
  startRedfishFake,
  VENDOR_PROFILES,
  type RedfishFake,
  type RedfishFakeOptions,
} from "../testing/redfish-contract-fake.js";
import { redfishDriver } from "./redfish-driver.js";

const PASSWORD = "Pw-7f3c!Redfish-secret";
const driver = redfishDriver();
const fakes: RedfishFake[] = [];
/** Every error a test saw: the last test checks that none carries a password. */
const errors: EnforcerError[] = [];
after(() => Promise.all(fakes.map((f) => f.close())));

async function fake(o: Partial<RedfishFakeOptions> = {}): Promise<RedfishFake> {
  const f = await startRedfishFake({ password: PASSWORD, ...o });
  fakes.push(f);
  return f;
}

function target(f: RedfishFake, options: PowerOptions = {}, password = PASSWORD): PowerTarget {
  return {
    machine: "m-1",
    address: f.address,
    username: "admin",
    password,
    options: { tlsFingerprint: f.fingerprint, ...options },
  };
}

function run(t: PowerTarget, action: PowerAction, signal = AbortSignal.timeout(15_000)) {
  return driver.run(t, action, signal);
}

/** The coded error `p` rejects with (kept for the password check). */
async function failure(p: Promise<unknown>): Promise<EnforcerError> {
  const e = await p.then(
    () => assert.fail("expected the action to fail"),
    (err: unknown) => err,
  );
  assert.ok(e instanceof EnforcerError, `not an EnforcerError: ${String(e)}`);
  errors.push(e);
  return e;
}

test("Redfish contract fake: status, off, on, cycle and pxe-once each do what the operator asked, in a session deleted after", async () => {
  const f = await fake();
  const sys = f.systems.get("1")!;
  assert.deepEqual(await run(target(f), "status"), { state: "on", detail: "PowerState On" });
  assert.deepEqual(await run(target(f), "off"), { state: "off", detail: "ResetType ForceOff accepted" });
  assert.equal(sys.powerState, "Off");
  assert.deepEqual(await run(target(f), "on"), { state: "on", detail: "ResetType On accepted" });
  assert.deepEqual(await run(target(f), "cycle"), { state: "on", detail: "ResetType ForceRestart accepted" });
  assert.deepEqual(sys.resets, ["ForceOff", "On", "ForceRestart"]);
  assert.deepEqual(await run(target(f, { bootMode: "uefi" }), "pxe-once"), {
    detail: "Boot override Pxe Once (UEFI) accepted",
  });
  assert.deepEqual(sys.boot, {
    BootSourceOverrideTarget: "Pxe",
    BootSourceOverrideEnabled: "Once",
    BootSourceOverrideMode: "UEFI",
  });
  // pxe-once does not change power; legacy is asked for when the machine boots legacy.
  await run(target(f, { bootMode: "legacy" }), "pxe-once");
  assert.equal(sys.boot.BootSourceOverrideMode, "Legacy");
  assert.deepEqual(sys.resets, ["ForceOff", "On", "ForceRestart"]);
  // Credentials crossed once per action (the login); everything else rode the session, which was deleted.
  assert.equal(f.requests.filter((r) => r.auth === "basic").length, 0);
  assert.equal(f.requests.filter((r) => r.method === "POST" && r.path.endsWith("/Sessions")).length, 6);
  assert.equal(f.requests.filter((r) => r.method === "DELETE").length, 6);
  assert.equal(f.liveSessions(), 0);
});

test("Redfish contract fake: a BMC at an [IPv6]:port address", async () => {
  const f = await fake({ host: "::1" });
  assert.match(f.address, /^\[::1\]:\d+$/);
  assert.deepEqual(await run(target(f), "off"), { state: "off", detail: "ResetType ForceOff accepted" });
});

test("Redfish contract fake: on of a machine that is on and off of one that is off send nothing; a cycle of an off machine powers it on", async () => {
  const f = await fake();
  const sys = f.systems.get("1")!;
  assert.deepEqual(await run(target(f), "on"), {
    state: "on",
    detail: "PowerState On already; nothing sent",
  });
  sys.powerState = "Off";
  assert.deepEqual(await run(target(f), "off"), {
    state: "off",
    detail: "PowerState Off already; nothing sent",
  });
  assert.deepEqual(sys.resets, []);
  // The fake, like many BMCs, refuses a restart of an off machine (409 ChassisPowerStateOnRequired).
  assert.deepEqual(await run(target(f), "cycle"), { state: "on", detail: "ResetType On accepted" });
  assert.deepEqual(sys.resets, ["On"]);
});

test("Redfish contract fake: a vendor that does not list and rejects ForceRestart is cycled with PowerCycle", async () => {
  const f = await fake(VENDOR_PROFILES.noForceRestart);
  const out = await run(target(f), "cycle");
  assert.equal(out.detail, "ResetType PowerCycle accepted");
  assert.deepEqual(f.systems.get("1")!.resets, ["PowerCycle"]);
  assert.ok(
    !f.requests.some((r) => String(JSON.stringify(r.body)).includes("ForceRestart")),
    "ForceRestart was sent",
  );
});

test("Redfish contract fake: a vendor that lists ForceRestart but answers it 400 ActionParameterNotSupported is cycled with the next type", async () => {
  const f = await fake({
    listedResetTypes: ["On", "ForceOff", "ForceRestart", "PowerCycle"],
    resetTypes: ["On", "ForceOff", "PowerCycle"],
  });
  assert.equal((await run(target(f), "cycle")).detail, "ResetType PowerCycle accepted");
  assert.deepEqual(f.systems.get("1")!.resets, ["PowerCycle"]);
  assert.equal(f.requests.filter((r) => r.path.endsWith("ComputerSystem.Reset")).length, 2);
});

test("Redfish contract fake: a vendor that lists no ResetType and rejects every restart is cycled with ForceOff then On", async () => {
  const f = await fake(VENDOR_PROFILES.unlistedOffOn);
  const out = await run(target(f), "cycle");
  assert.deepEqual(out, { state: "on", detail: "ResetType ForceOff then On accepted" });
  assert.deepEqual(f.systems.get("1")!.resets, ["ForceOff", "On"]);
  // It tried the better ones first, in the spec's order, and moved on at each "not supported".
  const tried = f.requests
    .filter((r) => r.path.endsWith("ComputerSystem.Reset"))
    .map((r) => (r.body as { ResetType: string }).ResetType);
  assert.deepEqual(tried, ["ForceRestart", "PowerCycle", "GracefulRestart", "ForceOff", "On"]);
});

test("Redfish contract fake: when the BMC takes no ResetType for a cycle, the error carries the BMC's message", async () => {
  const unlisted = await fake({ listResetTypes: false, resetTypes: ["Nmi"] });
  const e = await failure(run(target(unlisted), "cycle"));
  assert.equal(e.code, "ENF_ERR_POWER_REFUSED");
  assert.match(
    e.message,
    /ActionParameterNotSupported: The parameter ResetType for the action ComputerSystem\.Reset is not supported/,
  );
  assert.deepEqual(unlisted.systems.get("1")!.resets, []);
  assert.equal(unlisted.liveSessions(), 0, "a failed action left its session behind");
  const listed = await fake({ resetTypes: ["Nmi", "On"] });
  const e2 = await failure(run(target(listed), "cycle"));
  assert.equal(e2.code, "ENF_ERR_POWER_REFUSED");
  assert.match(e2.message, /allows none of the ResetTypes for cycle .*: it allows Nmi, On$/);
});

test("Redfish contract fake: a pinned fingerprint is trusted; a wrong one is refused before any request, naming the certificate seen", async () => {
  const f = await fake();
  assert.equal((await run(target(f), "status")).state, "on");
  const before = f.requests.length;
  const wrong = "ab".repeat(32);
  const e = await failure(run(target(f, { tlsFingerprint: wrong }), "status"));
  assert.equal(e.code, "ENF_ERR_POWER_TLS");
  assert.equal(
    e.message,
    `the BMC's certificate (SHA-256 ${f.fingerprint}) is not the pinned one (${wrong})`,
  );
  assert.equal(f.requests.length, before, "a request went out on an untrusted connection");
});

test("Redfish contract fake: an unpinned self-signed certificate is refused (ENF_ERR_POWER_TLS) with the fingerprint to pin", async () => {
  const f = await fake();
  const t = target(f);
  delete t.options.tlsFingerprint;
  const e = await failure(run(t, "status"));
  assert.equal(e.code, "ENF_ERR_POWER_TLS");
  assert.equal(
    e.message,
    `the BMC's certificate (SHA-256 ${f.fingerprint}) does not verify against the system's CAs (DEPTH_ZERO_SELF_SIGNED_CERT)`,
  );
  // The core keeps 200 characters of a driver's words: the fingerprint must be within them.
  assert.ok(e.message.length <= 200, `${e.message.length} characters`);
  assert.equal(f.requests.length, 0);
});

test("Redfish contract fake: a wrong password is ENF_ERR_POWER_AUTH, over a session and over Basic auth", async () => {
  const f = await fake();
  const e = await failure(run(target(f, {}, "not-the-password"), "status"));
  assert.equal(e.code, "ENF_ERR_POWER_AUTH");
  assert.match(e.message, /log in: .*HTTP 401.*NoValidSession/);
  const basic = await fake({ sessions: false });
  const e2 = await failure(run(target(basic, {}, "not-the-password"), "status"));
  assert.equal(e2.code, "ENF_ERR_POWER_AUTH");
  // The right one works over Basic when the BMC has no sessions.
  assert.equal((await run(target(basic), "off")).state, "off");
  assert.ok(basic.requests.some((r) => r.auth === "basic"));
});

test("Redfish contract fake: several systems need a systemId; the error names the ids seen", async () => {
  const f = await fake(VENDOR_PROFILES.severalSystems);
  const e = await failure(run(target(f), "status"));
  assert.equal(e.code, "ENF_ERR_POWER_INVALID");
  assert.match(e.message, /several systems: set systemId to one of 1, 2, Blade-3/);
  await run(target(f, { systemId: "Blade-3" }), "off");
  assert.equal(f.systems.get("Blade-3")!.powerState, "Off");
  assert.equal(f.systems.get("1")!.powerState, "On");
  const e2 = await failure(run(target(f, { systemId: "9" }), "status"));
  assert.equal(e2.code, "ENF_ERR_POWER_INVALID");
  assert.match(e2.message, /no system "9" \(systems seen: 1, 2, Blade-3\)/);
});

test("Redfish contract fake: a PATCH is sent with the system's ETag to a BMC that requires If-Match", async () => {
  const f = await fake({ requireIfMatch: true });
  assert.equal((await run(target(f), "pxe-once")).detail, "Boot override Pxe Once accepted");
  assert.equal(f.systems.get("1")!.boot.BootSourceOverrideTarget, "Pxe");
});

test("Redfish contract fake: a slow BMC is ended by the signal with ENF_ERR_POWER_TIMEOUT", async () => {
  const f = await fake(VENDOR_PROFILES.slow);
  const start = Date.now();
  const e = await failure(run(target(f), "status", AbortSignal.timeout(300)));
  assert.equal(e.code, "ENF_ERR_POWER_TIMEOUT");
  assert.ok(Date.now() - start < 1500, `took ${Date.now() - start} ms`);
});

test("Redfish contract fake: a BMC slower than the driver's own bound is ENF_ERR_POWER_TIMEOUT before the core's signal", async () => {
  const f = await fake({ delayMs: 2000 });
  const quick = redfishDriver({ limits: { requestMs: 200 } });
  const start = Date.now();
  const e = await failure(quick.run(target(f), "status", AbortSignal.timeout(15_000)));
  assert.equal(e.code, "ENF_ERR_POWER_TIMEOUT");
  assert.match(e.message, /reading the service root: the BMC did not answer within 200 ms/);
  assert.ok(Date.now() - start < 1500, `took ${Date.now() - start} ms`);
});

test("Redfish contract fake: a BMC answering garbage is ENF_ERR_POWER_BAD_ANSWER with its words, cleaned", async () => {
  const f = await fake(VENDOR_PROFILES.garbage);
  const e = await failure(run(target(f), "status"));
  assert.equal(e.code, "ENF_ERR_POWER_BAD_ANSWER");
  assert.match(e.message, /not JSON: Welcome to BMC shell <html><body>500 oops/);
  assert.doesNotMatch(e.message, /[\u0000-\u001f]/);
});

test("Redfish contract fake: a huge answer is refused at 1 MiB and not read to its end", async () => {
  const f = await fake({ hugeBody: true });
  const e = await failure(run(target(f), "status"));
  assert.equal(e.code, "ENF_ERR_POWER_BAD_ANSWER");
  assert.match(e.message, /larger than 1048576 bytes/);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(f.hugeBytesSent() < 16 * 1024 * 1024, `the fake sent ${f.hugeBytesSent()} bytes`);
});

test("Redfish contract fake: a BMC that redirects every URI to its trailing-slash form (iLO 5 before 1.40) works, PATCH and POST too", async () => {
  const f = await fake({ trailingSlashRedirect: true });
  assert.equal((await run(target(f), "off")).state, "off");
  assert.equal((await run(target(f), "pxe-once")).detail, "Boot override Pxe Once accepted");
  assert.deepEqual(f.systems.get("1")!.resets, ["ForceOff"]);
  assert.equal(f.systems.get("1")!.boot.BootSourceOverrideTarget, "Pxe");
  assert.equal(f.liveSessions(), 0);
});

test("Redfish contract fake: a redirect to another host is not followed", async () => {
  const other = await fake();
  const f = await fake({ redirectTo: `https://${other.address}/redfish/v1/Systems` });
  const e = await failure(run(target(f), "status"));
  assert.equal(e.code, "ENF_ERR_POWER_BAD_ANSWER");
  assert.match(e.message, /redirected to another host \(127\.0\.0\.1:\d+\), not followed/);
  assert.equal(other.requests.length, 0);
});

test("Redfish contract fake: a BMC that is not there is ENF_ERR_POWER_UNREACHABLE", async () => {
  const f = await fake();
  const t = target(f);
  await f.close();
  const e = await failure(run(t, "status"));
  assert.equal(e.code, "ENF_ERR_POWER_UNREACHABLE");
  const e2 = await failure(run({ ...t, address: "bad host:x" }, "status"));
  assert.equal(e2.code, "ENF_ERR_POWER_UNREACHABLE");
});

test("Redfish contract fake: the password is never in an error, even when the BMC repeats it", async () => {
  const sent = "Typed-Wrong-Secret-42";
  const session = await fake({ echoCredentials: true });
  const e = await failure(run(target(session, {}, sent), "status"));
  assert.equal(e.code, "ENF_ERR_POWER_AUTH");
  // The BMC's words are withheld whole (a mask in place would show where the password stood).
  assert.match(e.message, /refused the user name or password \(HTTP 401\): \(the answer is not shown/);
  const basic = await fake({ echoCredentials: true, sessions: false });
  const e2 = await failure(run(target(basic, {}, sent), "status"));
  assert.ok(e2.message.endsWith(WITHHELD_WORDS), e2.message);
  for (const err of errors)
    for (const secret of [PASSWORD, sent, Buffer.from(`admin:${sent}`).toString("base64")]) {
      assert.ok(!err.message.includes(secret), `${err.code}: ${err.message}`);
      assert.ok(!JSON.stringify(err.details).includes(secret), `${err.code}: ${JSON.stringify(err.details)}`);
    }
  assert.ok(errors.length >= 12, `only ${errors.length} errors were checked`);
});
