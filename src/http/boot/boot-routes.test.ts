import assert from "node:assert/strict";
import { test } from "node:test";
import { CUSTOM_PROFILE } from "../../core/testing/fixtures.js";
import { testApp } from "../testing/app.js";

const app = (over = {}) => testApp({ remotes: ["http://10.0.0.9:8080"], ...over });
const Q =
  "mac=52-54-00-00-00-01&uuid=11111111-2222-3333-4444-555555555555&serial=SN1&arch=x86_64&platform=efi";

test("GET /boot.ipxe serves the general script with this Enforcer's URL and the remotes", async () => {
  const { http } = await app();
  const r = await http.inject("/boot.ipxe");
  assert.equal(r.statusCode, 200);
  assert.match(r.body, /^#!ipxe\n/);
  assert.match(r.body, /chain --autofree http:\/\/enf\.test:8080\/boot\/machine\?\$\{enforcer-query\}/);
  assert.match(r.body, /chain --autofree http:\/\/10\.0\.0\.9:8080\/boot\/machine\?/);
});

test("an unknown machine gets a 404 (fall through) and is recorded with what iPXE reported", async () => {
  const { http, core } = await app();
  const r = await http.inject(`/boot/machine?${Q}`);
  assert.equal(r.statusCode, 404);
  assert.equal(r.json().code, "ENF_ERR_BOOT_NO_SCRIPT");
  const m = core.machines.get("52:54:00:00:00:01");
  assert.deepEqual(
    [m.uuid, m.serial, m.arch, m.platform],
    ["11111111-2222-3333-4444-555555555555", "SN1", "x86_64", "efi"],
  );
});

test("discovery on: unknown machines get the discovery script from both endpoints; off: 404", async () => {
  const on = await app({ discovery: true, discoveryUrl: "http://img/discovery.ipxe" });
  for (const path of ["/boot/machine", "/boot/discovery"]) {
    const r = await on.http.inject(`${path}?${Q}`);
    assert.equal(r.statusCode, 200, path);
    assert.match(r.body, /chain --autofree http:\/\/img\/discovery\.ipxe/);
  }
  const off = await app();
  assert.equal((await off.http.inject(`/boot/discovery?${Q}`)).statusCode, 404);
});

test("hostile boot queries get a 4xx with a code, never a script or a 500", async () => {
  const { http, core } = await app();
  for (const q of [
    "",
    "mac=",
    "mac=52:54:00:00:00:01%0Achain%20http://evil",
    "mac=%24%7Bnet0/mac%7D",
    `mac=${"a".repeat(5000)}`,
    "mac=52:54:00:00:00:01&mac=52:54:00:00:00:02",
  ]) {
    const r = await http.inject(`/boot/machine?${q}`);
    assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${q.slice(0, 40)} -> ${r.statusCode}`);
    assert.match(r.json().code, /^ENF_ERR_/);
  }
  // Junk UUIDs, serials and arches are dropped, not stored.
  const r = await http.inject(
    "/boot/machine?mac=52:54:00:00:00:03&uuid=nope&serial=a%0Ab&arch=x%20y&platform=%24%7B%7D",
  );
  assert.equal(r.statusCode, 404);
  const m = core.machines.get("52:54:00:00:00:03");
  assert.deepEqual([m.uuid, m.serial, m.arch, m.platform], [undefined, undefined, undefined, undefined]);
});

test("an armed config: script on efi names the initrd; files and the callback work by secret only", async () => {
  const { http, core } = await app();
  await core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "host={{ hostname }}\n" });
  const c = await core.configs.create({ machine: "52:54:00:00:00:01", profile: "linux" });
  await core.configs.arm(c.id);
  const script = await http.inject(`/boot/machine?${Q}`);
  assert.equal(script.statusCode, 200);
  assert.match(script.body, /^kernel http:\/\/mirror\/vmlinuz initrd=initrd\.gz console=ttyS0 /m);
  assert.match(script.body, /^initrd --name initrd\.gz http:\/\/mirror\/initrd\.gz$/m);
  const secret = core.configs.get(c.id).secret;
  const file = await http.inject(`/p/${secret}/provision`);
  assert.equal(file.statusCode, 200);
  assert.equal(file.body, "host=node-525400000001\n");
  for (const bad of [
    "/p/short/provision",
    `/p/${secret}/..%2F..%2Fetc%2Fpasswd`,
    `/p/${"x".repeat(40)}/provision`,
  ]) {
    const r = await http.inject(bad);
    assert.ok([400, 404].includes(r.statusCode), bad);
  }
  const done = await http.inject({ method: "POST", url: `/p/${secret}/complete` });
  assert.equal(done.statusCode, 200);
  assert.equal(core.configs.get(c.id).lifecycle.state, "completed");
  assert.equal((await http.inject(`/p/${secret}/complete`)).statusCode, 404);
  assert.equal((await http.inject(`/boot/machine?${Q}`)).statusCode, 404);
});
