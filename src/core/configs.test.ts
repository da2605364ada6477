import assert from "node:assert/strict";
import { test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { parseMac } from "../domain/mac.js";
import { BrokenStore, MemoryStore } from "../store/testing/fake-stores.js";
import { CUSTOM_PROFILE, testCore } from "./testing/fixtures.js";

const MAC = "52:54:00:00:00:01";
const who = { mac: parseMac(MAC), platform: "pcbios" };

async function armed(over = {}) {
  const t = testCore(over);
  await t.core.profiles.create({
    ...CUSTOM_PROFILE,
    provisioning: "#!/bin/sh\necho {{ hostname }} {{ mac }}\n",
  });
  const c = await t.core.configs.create({ machine: "52-54-00-00-00-01", profile: "linux" });
  await t.core.configs.arm(c.id);
  return { ...t, id: c.id };
}

test("arming renders the script and provisioning file from the profile and the machine's facts", async () => {
  const { core, id } = await armed();
  const c = core.configs.get(id);
  assert.equal(c.lifecycle.state, "armed");
  assert.deepEqual(c.spec, {
    kind: "linux",
    kernel: "http://mirror/vmlinuz",
    initrds: [{ url: "http://mirror/initrd.gz", name: "initrd.gz" }],
    args: [
      "console=ttyS0",
      "host=node-525400000001",
      `done=http://enf.test:8080/p/${c.secret}/complete`,
      "console=tty0",
      "console=ttyS0,115200n8",
    ],
  });
  assert.equal(c.files?.provision, "#!/bin/sh\necho node-525400000001 52:54:00:00:00:01\n");
});

test("a missing variable fails at arm time, not at boot time, and the config stays a draft", async () => {
  const { core } = testCore();
  await core.profiles.create(CUSTOM_PROFILE); // uses facts.cpu.model, which no agent reported
  const c = await core.configs.create({ machine: MAC, profile: "linux" });
  await assert.rejects(
    core.configs.arm(c.id),
    (e) => isEnforcerError(e, "ENF_ERR_TEMPLATE_VARIABLE_MISSING") && /"facts\.cpu/.test(e.message),
  );
  assert.equal(core.configs.get(c.id).lifecycle.state, "draft");
  const v = await core.configs.create({
    machine: MAC,
    profile: "linux",
    variables: { hostname: "bad host" },
  });
  await assert.rejects(core.configs.arm(v.id), (e) => isEnforcerError(e, "ENF_ERR_IPXE_UNSAFE_VALUE"));
});

test("provisioning templates cannot reach files, code or prototypes", async () => {
  const { core } = testCore();
  for (const [i, provisioning] of [
    "{% include '/etc/passwd' %}",
    "{% render 'x' %}",
    "{{ mac.constructor }}",
    "{{ 'x' | nosuchfilter }}",
    "{% for i in (1..100000000) %}{{ i }}{% endfor %}",
  ].entries()) {
    await core.profiles.create({ ...CUSTOM_PROFILE, name: `p${i}`, provisioning });
    const c = await core.configs.create({ machine: MAC, profile: `p${i}` });
    await assert.rejects(
      core.configs.arm(c.id),
      (e) => isEnforcerError(e) && e.code.startsWith("ENF_ERR_TEMPLATE"),
      provisioning,
    );
  }
});

test("50 concurrent fetches: exactly one triggers, the others are retries inside the window", async () => {
  const { core, id } = await armed();
  const answers = await Promise.all(Array.from({ length: 50 }, () => core.boot.machineScript(who)));
  assert.ok(answers.every((a) => a.kind === "config"));
  const kinds = core.events.forMachine(MAC).map((e) => e.kind);
  assert.equal(kinds.filter((k) => k === "config.triggered").length, 1);
  assert.equal(kinds.filter((k) => k === "config.retried").length, 49);
  const l = core.configs.get(id).lifecycle;
  assert.equal(l.state === "triggered" && l.fetches, 50);
});

test("after completion or the retry window, the machine falls through", async () => {
  const a = await armed();
  assert.equal((await a.core.boot.machineScript(who)).kind, "config");
  await a.core.configs.complete(a.core.configs.get(a.id).secret);
  assert.deepEqual(await a.core.boot.machineScript(who), { kind: "none", reason: "no-config" });

  const b = await armed();
  assert.equal((await b.core.boot.machineScript(who)).kind, "config");
  b.clock.advance(61_000);
  assert.deepEqual(await b.core.boot.machineScript(who), { kind: "none", reason: "window-passed" });
  assert.equal(b.core.configs.get(b.id).lifecycle.state, "expired");
  assert.deepEqual(await b.core.boot.machineScript(who), { kind: "none", reason: "no-config" });
});

test("the sweep expires triggered configs past their window and frees the machine", async () => {
  const { core, clock, id } = await armed();
  await core.boot.machineScript(who);
  assert.equal(await core.configs.expireDue(), 0);
  clock.advance(60_001);
  assert.equal(await core.configs.expireDue(), 1);
  assert.equal(core.configs.get(id).lifecycle.state, "expired");
  assert.equal(core.configs.holdingFor(MAC), undefined);
});

test("provisioning files and the callback answer only while triggered", async () => {
  const { core, id } = await armed();
  const secret = core.configs.get(id).secret;
  assert.throws(
    () => core.configFiles.file(secret, "provision"),
    (e) => isEnforcerError(e, "ENF_ERR_BOOT_SECRET_UNKNOWN"),
  );
  await core.boot.machineScript(who);
  assert.match(core.configFiles.file(secret, "provision"), /node-525400000001/);
  assert.throws(
    () => core.configFiles.file(secret, "other"),
    (e) => isEnforcerError(e, "ENF_ERR_CONFIG_FILE_NOT_FOUND"),
  );
  assert.throws(
    () => core.configFiles.file("wrong-secret-wrong-secret", "provision"),
    (e) => isEnforcerError(e, "ENF_ERR_BOOT_SECRET_UNKNOWN"),
  );
  await core.configs.complete(secret);
  assert.throws(
    () => core.configFiles.file(secret, "provision"),
    (e) => isEnforcerError(e, "ENF_ERR_BOOT_SECRET_UNKNOWN"),
  );
  await assert.rejects(core.configs.complete(secret), (e) =>
    isEnforcerError(e, "ENF_ERR_BOOT_SECRET_UNKNOWN"),
  );
});

test("one armed config per machine; a cancelled one frees it; a used profile cannot be deleted", async () => {
  const { core, id } = await armed();
  const second = await core.configs.create({ machine: MAC, profile: "linux" });
  await assert.rejects(core.configs.arm(second.id), (e) =>
    isEnforcerError(e, "ENF_ERR_CONFIG_ALREADY_ARMED"),
  );
  await assert.rejects(core.profiles.remove("linux"), (e) => isEnforcerError(e, "ENF_ERR_PROFILE_IN_USE"));
  await core.configs.cancel(id);
  await core.configs.arm(second.id);
  assert.equal(core.configs.holdingFor(MAC)?.id, second.id);
});

test("50 parallel arm and cancel requests leave one consistent state and a matching history", async () => {
  const { core } = testCore();
  await core.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
  const c = await core.configs.create({ machine: MAC, profile: "linux" });
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) => (i % 2 ? core.configs.cancel(c.id) : core.configs.arm(c.id))),
  );
  const ok = results.filter((r) => r.status === "fulfilled").length;
  const state = core.configs.get(c.id).lifecycle.state;
  const history = core.events
    .forMachine(MAC)
    .filter((e) => e.config === c.id)
    .map((e) => e.kind);
  assert.equal(history.length, 1 + ok); // created + one event per accepted change
  assert.equal(history.at(-1), `config.${state}`);
  for (const r of results)
    if (r.status === "rejected") assert.ok(isEnforcerError(r.reason, "ENF_ERR_CONFIG_TRANSITION"));
});

test("indexes are rebuilt from the store: a restarted core still knows the armed config", async () => {
  const store = new MemoryStore();
  const first = testCore({}, store);
  await first.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
  const c = await first.core.configs.create({ machine: MAC, profile: "linux" });
  await first.core.configs.arm(c.id);
  const second = testCore({}, store);
  assert.equal((await second.core.boot.machineScript(who)).kind, "config");
});

test("a failing disk surfaces as ENF_ERR_STORE_IO and arms nothing", async () => {
  const { core } = testCore({}, new BrokenStore());
  await assert.rejects(core.profiles.create(CUSTOM_PROFILE), (e) => isEnforcerError(e, "ENF_ERR_STORE_IO"));
});

test("the indexes follow the store's change feed: a config committed by another writer is held and served", async () => {
  const store = new MemoryStore();
  const a = testCore({}, store);
  const b = testCore({}, store);
  await a.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
  const c = await a.core.configs.create({ machine: MAC, profile: "linux" });
  await a.core.configs.arm(c.id);
  assert.equal(b.core.configs.holdingFor(MAC)?.id, c.id);
  assert.equal((await b.core.boot.machineScript(who)).kind, "config");
  assert.equal(a.core.configs.holdingFor(MAC)?.lifecycle.state, "triggered");
  await a.core.configs.cancel(c.id);
  assert.equal(b.core.configs.holdingFor(MAC), undefined);
  assert.equal(b.core.configs.stateOf(MAC), "cancelled");
});
