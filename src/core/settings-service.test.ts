import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { COLLECTIONS } from "../store/collections.js";
import { DEFAULT_LIMITS, type CoreSettings } from "./ports.js";
import { SettingsService, type SettingKey } from "./settings-service.js";

const STARTUP: CoreSettings = {
  publicUrl: "http://enf.test:8080",
  retryWindowMs: 60_000,
  discovery: false,
  remotes: ["http://flag.remote"],
  limits: { historyDays: 7 },
};

test("settings stored through the API win over the start-up flags at the next start", async () => {
  const store = new MemoryStore();
  await new SettingsService(store, STARTUP).update({ discovery: true, discoveryUrl: "http://img/d.ipxe" });
  const restarted = new SettingsService(store, STARTUP);
  assert.equal(restarted.discovery, true);
  assert.equal(restarted.discoveryUrl, "http://img/d.ipxe");
  assert.deepEqual(restarted.remotes, ["http://flag.remote"], "a setting never changed keeps its flag");
  assert.deepEqual(restarted.limits, { ...DEFAULT_LIMITS, historyDays: 7 });
});

test("an unsafe value is refused and nothing is stored", async () => {
  const store = new MemoryStore();
  const s = new SettingsService(store, STARTUP);
  await assert.rejects(s.update({ discovery: true, discoveryUrl: "http://img/a|b" }), {
    code: "ENF_ERR_IPXE_UNSAFE_VALUE",
  });
  await assert.rejects(s.update({ remotes: ["http://a b"] }), { code: "ENF_ERR_IPXE_UNSAFE_VALUE" });
  assert.deepEqual(s.stored(), {});
  assert.equal(s.discovery, false);
});

test("listeners hear what changed, also when another writer commits the stored settings", async () => {
  const store = new MemoryStore();
  const s = new SettingsService(store, STARTUP);
  const heard: SettingKey[][] = [];
  s.onChange((keys) => heard.push([...keys]));
  await s.update({ remotes: ["http://10.1.1.1:8080/"] });
  assert.deepEqual(s.remotes, ["http://10.1.1.1:8080"], "trailing slashes are dropped");
  // As another instance sharing the store would: straight through the store, not through this service.
  await store.commit([
    { op: "put", collection: COLLECTIONS.runtime, id: "settings", value: { discovery: true } },
  ]);
  assert.equal(s.discovery, true);
  assert.deepEqual(s.remotes, ["http://flag.remote"]);
  s.listening({ publicUrl: "http://10.0.0.5:8080" });
  assert.equal(s.publicUrl, "http://10.0.0.5:8080");
  assert.deepEqual(heard, [["remotes"], ["discovery", "remotes"], ["publicUrl"]]);
});

test("settings cannot be written around the service", () => {
  const s = new SettingsService(new MemoryStore(), STARTUP);
  assert.throws(() => {
    (s as { discovery: boolean }).discovery = true;
  }, TypeError);
  assert.throws(() => {
    (s.limits as { historyDays: number }).historyDays = 1;
  }, TypeError);
  assert.throws(() => (s.remotes as string[]).push("http://x"), TypeError);
});
