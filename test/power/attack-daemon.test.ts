// Attacks on a served Enforcer's power.key: its mode, a start without it (a restore that forgot it, a deleted
// file) and with a damaged or another key. A lost key must be said at start, lose nothing (the sealed
// passwords open again once it is back), and leave machines without a password (WoL) working.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { freeUdpPort, startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";

const A = "52:54:00:a7:d0:01";
const B = "52:54:00:a7:d0:02";
const data = mkdtempSync(join(tmpdir(), "attack-daemon-"));
const running: EnforcerProcess[] = [];
const listener = createSocket("udp4");
after(async () => {
  for (const e of running) await e.stop();
  listener.close();
  rmSync(data, { recursive: true, force: true });
});

async function start(): Promise<EnforcerProcess> {
  const e = await startEnforcer(["--power-timeout", "2"], { data });
  running.push(e);
  return e;
}

async function stop(e: EnforcerProcess): Promise<void> {
  await e.stop();
  running.splice(running.indexOf(e), 1);
}

test("attack daemon: power.key is 0600; without it a start says so, a sealed password is ENF_ERR_POWER_KEY (WoL still works), and nothing is lost once it is back", async () => {
  await new Promise<void>((r) => listener.bind(0, "127.0.0.1", () => r()));
  const packets: Buffer[] = [];
  listener.on("message", (m) => packets.push(m));
  const keyFile = join(data, "power.key");
  let enf = await start();
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  for (const mac of [A, B]) assert.equal((await enf.api("POST", "/machines", { mac })).status, 201);
  const closed = `127.0.0.1:${await freeUdpPort()}`;
  const ipmi = { driver: "ipmi", address: closed, username: "admin", password: "KeyLost-5c1d" };
  assert.equal((await enf.api("PUT", `/machines/${A}/power`, ipmi)).status, 200);
  const wol = { driver: "wol", address: `127.0.0.1:${listener.address().port}` };
  assert.equal((await enf.api("PUT", `/machines/${B}/power`, wol)).status, 200);
  const before = await enf.api<{ code?: string }>("POST", `/machines/${A}/power/status`);
  assert.notEqual(before.body.code, "ENF_ERR_POWER_KEY");
  await stop(enf);

  // The key goes (a restore without it): a new one is made, and the start says what that means.
  const oldKey = readFileSync(keyFile);
  unlinkSync(keyFile);
  enf = await start();
  assert.match(
    enf.logs(),
    /power\.key/,
    `the start did not say that stored BMC passwords were sealed with another power.key:\n${enf.logs()}`,
  );
  const lost = await enf.api<{ code: string; message: string }>("POST", `/machines/${A}/power/status`);
  assert.equal(lost.status, 500);
  assert.equal(lost.body.code, "ENF_ERR_POWER_KEY");
  assert.match(lost.body.message, /another power\.key/);
  assert.equal(
    (await enf.api<{ hasPassword: boolean }>("GET", `/machines/${A}/power`)).body.hasPassword,
    true,
  );
  const on = await enf.api<{ detail: string }>("POST", `/machines/${B}/power/on`);
  assert.equal(on.status, 200, JSON.stringify(on.body));
  await stop(enf);

  // The old key back: the same sealed password opens again.
  writeFileSync(keyFile, oldKey, { mode: 0o644 });
  enf = await start();
  assert.equal(statSync(keyFile).mode & 0o777, 0o600, "a restored key's loose mode was not tightened");
  const back = await enf.api<{ code?: string }>("POST", `/machines/${A}/power/status`);
  assert.notEqual(back.body.code, "ENF_ERR_POWER_KEY");
  await stop(enf);

  // A damaged key: the start refuses, naming the file and what to do.
  writeFileSync(keyFile, "not a key\n", { mode: 0o600 });
  await assert.rejects(startEnforcer([], { data }), (e: Error) => {
    assert.match(e.message, /power\.key is not 64 hex digits; delete it/);
    return true;
  });
  writeFileSync(keyFile, oldKey, { mode: 0o600 });
  assert.ok(packets.length >= 1, "the WoL machine's packet did not arrive");
});
