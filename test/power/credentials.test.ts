// No BMC password leaves the seal: set through the API and the CLI, used by good and failing actions
// (wrong password, unreachable BMC, a BMC that repeats the credentials in its refusal), then searched for in
// every file under the data directory (gzipped ones opened), a store copy, the whole server log at trace
// level, every API answer and event stream, /metrics, the export and every CLI output.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { PowerSecrets } from "../../src/core/power-secrets.js";
import type { PowerRecord } from "../../src/domain/power.js";
import { startRedfishFake, type RedfishFake } from "../../src/power/testing/redfish-contract-fake.js";
import { startIpmiSim, type IpmiSim } from "../../src/power/testing/ipmi-sim.js";
import { FileStore } from "../../src/store/file-store.js";
import { readFileStore } from "../../src/store/file-store-read.js";
import { COLLECTIONS } from "../../src/store/collections.js";
import { freePort, freeUdpPort, startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { until } from "../support/until.js";
import { filesUnder, leaksIn } from "./leak-search.js";
import { enforcerCli, type CliRun } from "./power-cli.js";

const USER = "admin";
// Recognisable, none a part of another; ipmitool takes at most 20 bytes.
const PW = {
  ipmiApi: "IpmiViaApi-7c1e4b",
  ipmiCli: "IpmiViaCli-2f9a0d",
  ipmiWrong: "IpmiWrong-93d05e",
  ipmiGone: "IpmiGone-5a2b77",
  redfishApi: "RedfishViaApi-4f8a61c3",
  redfishWrong: "RedfishWrong-b27c0e19",
  redfishGone: "RedfishGone-0d9e33aa",
};
const MACS = {
  ipmiApi: "52:54:00:c0:00:01",
  ipmiCli: "52:54:00:c0:00:02",
  ipmiWrong: "52:54:00:c0:00:03",
  ipmiGone: "52:54:00:c0:00:04",
  redfishApi: "52:54:00:c0:00:05",
  redfishWrong: "52:54:00:c0:00:06",
  redfishGone: "52:54:00:c0:00:07",
};

/** A command as the API shows it. */
interface Cmd {
  id: string;
  state: string;
  agent?: string;
  detail?: string;
}

/** The passwords above found in `hay`. */
const leaks = (where: string, hay: Buffer | string) => leaksIn(PW, USER, where, hay);

describe("BMC passwords are sealed and never shown", { timeout: 120_000 }, () => {
  let enf: EnforcerProcess;
  let sim: IpmiSim;
  let sim2: IpmiSim;
  let fake: RedfishFake;
  let echoing: RedfishFake;
  const seen: { where: string; text: string }[] = [];
  const sse = new AbortController();
  let sseText = "";
  let sseDone: Promise<void> = Promise.resolve();

  before(async () => {
    enf = await startEnforcer(["--log-level", "trace"]);
    sim = await startIpmiSim({ username: USER, password: PW.ipmiApi });
    sim2 = await startIpmiSim({ username: USER, password: PW.ipmiCli });
    fake = await startRedfishFake({ username: USER, password: PW.redfishApi });
    // A careless BMC: its refusal repeats the user, the password and the Authorization header it got.
    // Basic auth only, so its refusal also repeats the Authorization header (the password in base64).
    echoing = await startRedfishFake({
      username: USER,
      password: PW.redfishApi,
      echoCredentials: true,
      sessions: false,
    });
    // The live event stream, read from the start to the end.
    const res = await fetch(`${enf.base}/api/v1/events`, {
      headers: { authorization: `Bearer ${enf.token}` },
      signal: sse.signal,
    });
    assert.equal(res.status, 200);
    sseDone = (async () => {
      const dec = new TextDecoder();
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) sseText += dec.decode(chunk);
      } catch {
        // aborted at the end
      }
    })();
  });
  after(async () => {
    sse.abort();
    await enf?.stop();
    await sim?.stop();
    await sim2?.stop();
    await fake?.close();
    await echoing?.close();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await enf.api<unknown>(method, path, body);
    seen.push({ where: `${method} ${path} (${r.status})`, text: JSON.stringify(r.body) });
    return r;
  };
  const cli = async (args: string[], stdin?: string): Promise<CliRun> => {
    const r = await enforcerCli(enf.base, enf.token, args, stdin);
    seen.push({ where: `enforcer ${args.join(" ")}`, text: r.stdout + r.stderr });
    return r;
  };

  test("set through API and CLI, good and failing actions, then no password anywhere but sealed", async () => {
    for (const mac of Object.values(MACS))
      assert.equal((await api("POST", "/machines", { mac })).status, 201);
    const goneIpmi = `127.0.0.1:${await freeUdpPort()}`;
    const goneRedfish = `127.0.0.1:${await freePort()}`;

    // Set: through the API (admin token) ...
    const put = (mac: string, body: Record<string, unknown>) => api("PUT", `/machines/${mac}/power`, body);
    const ipmi = { driver: "ipmi", address: sim.address, username: USER };
    assert.equal((await put(MACS.ipmiApi, { ...ipmi, password: PW.ipmiApi })).status, 200);
    assert.equal(
      (await put(MACS.ipmiGone, { ...ipmi, address: goneIpmi, password: PW.ipmiGone })).status,
      200,
    );
    const redfish = { driver: "redfish", username: USER, tlsFingerprint: fake.fingerprint };
    const rfApi = { ...redfish, address: fake.address, password: PW.redfishApi };
    assert.equal((await put(MACS.redfishApi, rfApi)).status, 200);
    const rfGone = { ...redfish, address: goneRedfish, password: PW.redfishGone };
    assert.equal((await put(MACS.redfishGone, rfGone)).status, 200);
    // ... and a PUT without the password keeps the stored one (same driver, address and user).
    const kept = await put(MACS.ipmiApi, { ...ipmi, cipherSuite: 3 });
    assert.equal((kept.body as { hasPassword: boolean }).hasPassword, true);

    // ... and through the CLI: a password file, and standard input.
    const pwFile = join(enf.data, "..", `pw-${process.pid}`);
    writeFileSync(pwFile, `${PW.ipmiCli}\n`, { mode: 0o600 });
    const set = ["power", "set", "--driver"];
    const viaFile = await cli([
      ...set,
      "ipmi",
      MACS.ipmiCli,
      "--address",
      sim2.address,
      "--username",
      USER,
      "--password-file",
      pwFile,
    ]);
    assert.equal(viaFile.code, 0, viaFile.stderr);
    const wrongIpmi = await cli(
      [...set, "ipmi", MACS.ipmiWrong, "--address", sim.address, "--username", USER, "--password-file", "-"],
      `${PW.ipmiWrong}\n`,
    );
    assert.equal(wrongIpmi.code, 0, wrongIpmi.stderr);
    const rfArgs = ["--username", USER, "--tls-fingerprint", echoing.fingerprint, "--password-file", "-"];
    const wrongRf = await cli(
      [...set, "redfish", MACS.redfishWrong, "--address", echoing.address, ...rfArgs],
      PW.redfishWrong,
    );
    assert.equal(wrongRf.code, 0, wrongRf.stderr);

    // The unreachable IPMI BMC takes ipmitool's retries (~10 s): asked now, through the API, awaited below.
    const ipmiGoneAnswer = api("POST", `/machines/${MACS.ipmiGone}/power/status`);

    // Good actions, through the API and the CLI; each machine's in order, the machines side by side.
    const actions = ["status", "on", "pxe-once", "cycle", "off", "status"];
    const viaApi = async (mac: string) => {
      for (const action of actions) {
        const r = await api("POST", `/machines/${mac}/power/${action}`);
        assert.equal(r.status, 200, `${mac} ${action}: ${JSON.stringify(r.body)}`);
      }
    };
    const viaCli = async () => {
      for (const action of ["on", "status"])
        assert.equal((await cli(["power", action, MACS.ipmiCli])).code, 0);
    };
    await Promise.all([viaApi(MACS.ipmiApi), viaApi(MACS.redfishApi), viaCli()]);
    assert.equal(sim2.chassis.isOn(), true);

    // Failing actions: each a coded error with the BMC's words (and never its password).
    // Each machine on its own (they never wait for each other), through the API and the CLI.
    const failing: [string, string, RegExp][] = [
      [MACS.ipmiWrong, "status", /ENF_ERR_POWER_AUTH/],
      [MACS.redfishWrong, "on", /ENF_ERR_POWER_AUTH/],
      [MACS.redfishGone, "status", /ENF_ERR_POWER_UNREACHABLE/],
    ];
    await Promise.all(
      failing.map(async ([mac, action, code]) => {
        const r = await api("POST", `/machines/${mac}/power/${action}`);
        assert.ok(r.status >= 400, `${mac} ${action}: ${r.status}`);
        assert.match(JSON.stringify(r.body), code);
        const c = await cli(["power", action, mac]);
        assert.notEqual(c.code, 0);
        assert.match(c.stdout + c.stderr, code);
      }),
    );
    const gone = await ipmiGoneAnswer;
    assert.equal(gone.status, 502, JSON.stringify(gone.body));
    assert.match(JSON.stringify(gone.body), /ENF_ERR_POWER_UNREACHABLE/);
    // The careless BMC did repeat the password it got, so the driver had something to strip.
    assert.ok(echoing.requests.length > 0);

    // Reboots with the default order (agent first): no agent reaches these machines, so power control
    // carries them (pxe-once, then cycle), each step on the timeline with the command's id; a refused
    // login fails the command with the BMC's words.
    const [reboot, refused] = await Promise.all([
      cli(["commands", "reboot", MACS.ipmiApi, "--json"]),
      cli(["commands", "reboot", MACS.redfishWrong, "--json"]),
    ]);
    assert.equal(reboot.code, 0, reboot.stdout + reboot.stderr);
    assert.ok(refused.code === 0 || refused.code === 1, refused.stdout + refused.stderr);
    const settled = async (run: CliRun) => {
      const id = (JSON.parse(run.stdout) as { id: string }).id;
      return until(`command ${id} settled`, async () => {
        const c = (await api("GET", `/commands/${id}`)).body as Cmd;
        return c.state === "queued" || c.state === "sent" ? undefined : c;
      });
    };
    const [done, failed] = [await settled(reboot), await settled(refused)];
    assert.deepEqual([done.state, done.agent], ["acknowledged", "power:ipmi"]);
    assert.deepEqual([failed.state, failed.agent], ["failed", "power:redfish"]);
    assert.match(failed.detail ?? "", /ENF_ERR_POWER_AUTH/);
    const steps = (await api("GET", `/machines/${MACS.ipmiApi}/events`)).body as {
      items: { kind: string; detail?: { command?: string; action?: string } }[];
    };
    assert.deepEqual(
      steps.items
        .filter(
          (e) => e.detail?.command === done.id && e.kind.startsWith("power.") && e.kind !== "power.state",
        )
        .map((e) => `${e.kind} ${e.detail?.action}`),
      ["queued", "sent", "done"]
        .flatMap((k) => [`power.${k} pxe-once`])
        .concat(["queued", "sent", "done"].map((k) => `power.${k} cycle`)),
    );

    // Read everything an operator (or an attacker with a viewer token) could read.
    for (const mac of Object.values(MACS))
      for (const p of ["/power", "", "/events", "/timeline"]) await api("GET", `/machines/${mac}${p}`);
    // The CLI's views (each run is a Node start: one machine of each kind, the rest through the API above).
    const views = [MACS.ipmiCli, MACS.redfishWrong, MACS.ipmiGone].map((mac) => ["power", "show", mac]);
    views.push(["power", "show", MACS.ipmiApi, "--json"], ["machines", "events", MACS.ipmiApi]);
    views.push(["machines", "timeline", MACS.redfishWrong], ["commands", "list"]);
    await Promise.all(views.map((v) => cli(v)));
    await api("GET", "/machines");
    await api("GET", "/commands");
    const metrics = await fetch(`${enf.base}/metrics`, { headers: { authorization: `Bearer ${enf.token}` } });
    const metricsText = await metrics.text();
    assert.match(metricsText, /enforcer_power_actions_total/);
    seen.push({ where: "/metrics", text: metricsText });
    const exported = await cli(["export", "--all", "--json"]);
    assert.equal(exported.code, 0, exported.stderr);
    sse.abort();
    await sseDone;
    assert.match(sseText, /power\.done/);
    seen.push({ where: "GET /events (the live stream)", text: sseText });

    // The server stops (its log complete), and a copy of its store is made as a backup would be.
    assert.equal(await enf.stop(), 0);
    const copy = await enforcerCli(enf.base, enf.token, [
      "store",
      "copy",
      "--from",
      enf.data,
      "--to",
      join(enf.data, "backup"),
    ]);
    assert.equal(copy.code, 0, copy.stderr);
    seen.push({ where: "enforcer store copy", text: copy.stdout + copy.stderr });

    // The long-lived form of a store is its snapshot (written once the journal passes 8 MiB): the copy is
    // compacted into one by writing a record back unchanged with a 1-byte threshold.
    const backup = await FileStore.open({ dir: join(enf.data, "backup", "store"), compactBytes: 1 });
    const [id, rec] = [...backup.all<PowerRecord>(COLLECTIONS.power)].map((r) => [r.machine, r] as const)[0]!;
    await backup.commit([{ op: "put", collection: COLLECTIONS.power, id, value: rec }]);
    await backup.close();

    const files = filesUnder(enf.data);
    const names = files.map((f) => f.path.slice(enf.data.length + 1));
    for (const want of ["power.key", "store/journal-", "backup/store/snapshot.json (gunzipped)"])
      assert.ok(
        names.some((n) => n.includes(want)),
        `nothing like ${want} among ${names.join(", ")}`,
      );
    const found = [
      ...seen.flatMap((s) => leaks(s.where, s.text)),
      ...leaks("the server log (trace level)", enf.logs()),
      ...files.flatMap((f) => leaks(f.path, f.bytes)),
    ];
    assert.deepEqual(found, []);
    // The log ran at trace, not the tests' usual warn: its info lines are there.
    assert.match(enf.logs(), /"level":30/);

    // Sealed, not absent: power.key is 0600, and each stored password opens with it to the password set.
    const keyPath = join(enf.data, "power.key");
    assert.equal(statSync(keyPath).mode & 0o777, 0o600);
    const key = Buffer.from(readFileSync(keyPath, "utf8").trim(), "hex");
    assert.equal(key.length, 32);
    const secrets = new PowerSecrets(key);
    const records = (await readFileStore(join(enf.data, "store"))).get(COLLECTIONS.power);
    const byMac = new Map(Object.entries(MACS).map(([name, mac]) => [mac, name as keyof typeof PW]));
    let opened = 0;
    for (const r of records?.values() ?? []) {
      const rec = r as PowerRecord;
      assert.ok(rec.password, `${rec.machine} has no sealed password`);
      assert.equal(rec.password.alg, "aes-256-gcm");
      const name = byMac.get(rec.machine); // a machine's id is its first MAC
      assert.ok(name, `a power record for an unknown machine ${rec.machine}`);
      assert.equal(secrets.open(rec.machine, rec.password), PW[name]);
      opened++;
    }
    assert.equal(opened, Object.keys(MACS).length);
  });
});

test("the search finds a password in each form it looks for, in plain and gzipped files", () => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-leak-control-"));
  try {
    writeFileSync(join(dir, "plain"), `x${PW.ipmiGone}y`);
    writeFileSync(join(dir, "packed.gz"), gzipSync(`{"p":"${PW.redfishGone}"}`));
    mkdirSync(join(dir, "sub"));
    writeFileSync(
      join(dir, "sub", "header"),
      `Authorization: Basic ${Buffer.from(`${USER}:${PW.ipmiApi}`).toString("base64")}`,
    );
    const found = filesUnder(dir).flatMap((f) => leaks(f.path.slice(dir.length + 1), f.bytes));
    for (const want of [
      "ipmiGone in plain",
      "redfishGone in packed.gz (gunzipped)",
      "ipmiApi (Basic) in sub/header",
    ])
      assert.ok(found.includes(want), `${want} not in ${found.join(", ")}`);
    assert.deepEqual(leaks("hex", Buffer.from(PW.ipmiCli).toString("hex")), ["ipmiCli (hex) in hex"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
