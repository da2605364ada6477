import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { parseMac } from "../../domain/mac.js";
import { CUSTOM_PROFILE, testCore } from "../../core/testing/fixtures.js";
import { SharedMemoryEngine } from "../../store/testing/shared-memory-store.js";
import { testApp } from "../testing/app.js";

test("fake shared store: an arm that loses to another instance's cancel answers 409 ENF_ERR_STORE_CONFLICT", async () => {
  const engine = new SharedMemoryEngine();
  const view = engine.view();
  const a = await testApp({}, {}, view);
  const b = testCore({}, engine.view());
  await Promise.all([a.core.events.ready(), b.core.events.ready()]);
  await a.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
  const c = await a.core.configs.create({ machine: "52:54:00:00:00:01", profile: "linux" });
  while (!b.store.get("configs", c.id)) await new Promise((r) => setTimeout(r, 2));
  // Instance A has not heard yet that B cancelled the draft: its arm is built on the draft it read.
  view.pause();
  await b.core.configs.cancel(c.id);
  const res = await a.api({ method: "POST", url: `/api/v1/configs/${c.id}/arm` });
  assert.deepEqual([res.statusCode, res.json().code], [409, "ENF_ERR_STORE_CONFLICT"]);
  view.resume();
  while (a.core.configs.get(c.id).lifecycle.state !== "cancelled") await new Promise((r) => setTimeout(r, 2));
  const again = await a.api({ method: "POST", url: `/api/v1/configs/${c.id}/arm` });
  assert.deepEqual(
    [again.statusCode, again.json().code],
    [409, "ENF_ERR_CONFIG_TRANSITION"],
    "read again: cancelled",
  );
  await a.http.close();
});

test("fake shared store: a trigger another instance won first is not served: 404 as with nothing armed, one warn line names the config", async () => {
  const engine = new SharedMemoryEngine();
  const view = engine.view();
  const lines: string[] = [];
  const logger = pino({ level: "info" }, { write: (l: string) => void lines.push(l) });
  const a = await testApp({}, { logger }, view);
  const b = testCore({}, engine.view());
  await Promise.all([a.core.events.ready(), b.core.events.ready()]);
  await a.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: undefined });
  const c = await a.core.configs.create({ machine: "52:54:00:00:00:01", profile: "linux" });
  await a.core.configs.arm(c.id);
  while (b.core.configs.holdingFor("52:54:00:00:00:01")?.lifecycle.state !== "armed")
    await new Promise((r) => setTimeout(r, 2));
  view.pause(); // A has not heard of B's trigger when its own request comes
  const who = { mac: parseMac("52:54:00:00:00:01"), platform: "efi" as const };
  assert.equal((await b.core.boot.machineScript(who)).kind, "config", "B triggers it");
  const res = await a.http.inject("/boot/machine?mac=52-54-00-00-00-01&platform=efi&arch=x86_64");
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().code, "ENF_ERR_BOOT_NO_SCRIPT");
  const warned = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 40);
  assert.equal(warned.length, 1);
  assert.equal(warned[0].config, c.id);
  assert.equal(warned[0].code, "ENF_ERR_STORE_CONFLICT");
  view.resume();
  await a.http.close();
});
