// Arming through the asset cache, in the core: the spec names Enforcer's copies, an upstream failure arms
// nothing, what armed configs boot from is in use, a Pi gets TFTP names, discovery goes through the cache
// once it is fetched. The cache is a stand-in here (its own tests use a real mirror); test/assets-*.test.ts
// run the real one.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import { parseMac } from "../domain/mac.js";
import { PI_SERIAL_LABEL } from "../domain/pi-boot.js";
import type { AssetFetcher } from "./asset-arming.js";
import { armThroughAssets } from "./asset-wiring.js";
import { CUSTOM_PROFILE, testCore } from "./testing/fixtures.js";

const MAC = "52:54:00:00:00:01";
const SHA = "a".repeat(64);

/** The cache's shape with no disk: ids as the cache makes them, a URL that fails, and the calls made. */
class StandInCache implements AssetFetcher {
  readonly calls: { url: string; sha256?: string }[] = [];
  readonly entries = new Map<string, { id: string; path: string }>();
  failing = new Set<string>();
  gate: Promise<void> = Promise.resolve();

  async ensure(url: string, expect?: { sha256?: string }) {
    this.calls.push({ url, ...(expect?.sha256 ? { sha256: expect.sha256 } : {}) });
    await this.gate;
    if (this.failing.has(url))
      throw new EnforcerError("ENF_ERR_ASSET_FETCH", `${url}: upstream answered 404`, { url });
    const id = createHash("sha256").update(url).digest("hex").slice(0, 16);
    const entry = { id, path: `/assets/${id}/${url.split("/").pop()}` };
    this.entries.set(url, entry);
    return entry;
  }

  get(idOrSource: string) {
    return this.entries.get(idOrSource) ?? [...this.entries.values()].find((e) => e.id === idOrSource);
  }
}

async function setup(profile: Record<string, unknown> = {}, over = {}) {
  const t = testCore(over);
  const cache = new StandInCache();
  const wired = armThroughAssets(t.core, cache);
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\n", ...profile });
  const c = await t.core.configs.create({ machine: MAC, profile: "linux" });
  return { ...t, cache, ...wired, id: c.id };
}

test("arming fetches the kernel and initrd into the cache and the spec names Enforcer's copies", async () => {
  const { core, cache, id, inUse } = await setup({ checksums: { "http://mirror/vmlinuz": SHA } });
  const c = await core.configs.arm(id);
  const k = cache.get("http://mirror/vmlinuz")!;
  const i = cache.get("http://mirror/initrd.gz")!;
  assert.ok(c.spec?.kind === "linux");
  assert.equal(c.spec.kernel, `http://enf.test:8080/assets/${k.id}/vmlinuz`);
  assert.deepEqual(c.spec.initrds, [
    { url: `http://enf.test:8080/assets/${i.id}/initrd.gz`, name: "initrd.gz" },
  ]);
  assert.deepEqual(
    cache.calls.sort((a, b) => a.url.localeCompare(b.url)),
    [{ url: "http://mirror/initrd.gz" }, { url: "http://mirror/vmlinuz", sha256: SHA }],
    "the profile's checksum goes with its URL",
  );
  assert.deepEqual([...inUse()].sort(), [i.id, k.id].sort());
  assert.deepEqual(core.configs.assetUsers().get(k.id), [id]);
  await core.configs.cancel(id);
  assert.equal(inUse().size, 0, "a cancelled config needs nothing any more");
});

test("an upstream failure fails the arm with the cache's code and the URL, and nothing is armed", async () => {
  const { core, cache, id, inUse } = await setup();
  cache.failing.add("http://mirror/initrd.gz");
  await assert.rejects(
    core.configs.arm(id),
    (e) => isEnforcerError(e) && e.code === "ENF_ERR_ASSET_FETCH" && /mirror\/initrd/.test(e.message),
  );
  assert.equal(core.configs.get(id).lifecycle.state, "draft");
  assert.equal(inUse().size, 0);
  cache.failing.clear();
  assert.equal((await core.configs.arm(id)).lifecycle.state, "armed", "the mirror is back: it arms");
});

test("a config cancelled while its files download is not armed afterwards", async () => {
  const { core, cache, id } = await setup();
  let release!: () => void;
  cache.gate = new Promise((r) => (release = r));
  const arming = core.configs.arm(id);
  await core.configs.cancel(id);
  release();
  await assert.rejects(arming, (e) => isEnforcerError(e, "ENF_ERR_CONFIG_TRANSITION"));
  assert.equal(core.configs.get(id).lifecycle.state, "cancelled");
});

test("without the cache, URLs stay as the profile gives them", async () => {
  const t = testCore();
  await t.core.profiles.create({ ...CUSTOM_PROFILE, provisioning: "#!/bin/sh\n" });
  const c = await t.core.configs.create({ machine: MAC, profile: "linux" });
  const armed = await t.core.configs.arm(c.id);
  assert.ok(armed.spec?.kind === "linux");
  assert.equal(armed.spec.kernel, "http://mirror/vmlinuz");
});

test("a Pi's URL kernel becomes a cached asset it loads over TFTP; without the cache it is refused", async () => {
  const pi = parseMac("dc:a6:32:01:36:c2");
  const profile = {
    name: "pi",
    family: "custom" as const,
    kernel: "http://mirror/pi/kernel8.img",
    initrds: [],
    cmdline: "done={{complete_url}}",
  };
  const off = testCore();
  await off.core.profiles.create(profile);
  await off.core.machines.register(pi, { labels: { [PI_SERIAL_LABEL]: "9ffefdef" } });
  const draft = await off.core.configs.create({ machine: pi, profile: "pi" });
  await assert.rejects(off.core.configs.arm(draft.id), (e) => isEnforcerError(e, "ENF_ERR_PI_BOOT_FILE"));

  const t = testCore();
  const cache = new StandInCache();
  armThroughAssets(t.core, cache);
  await t.core.profiles.create(profile);
  await t.core.machines.register(pi, { labels: { [PI_SERIAL_LABEL]: "9ffefdef" } });
  const c = await t.core.configs.create({ machine: pi, profile: "pi" });
  const armed = await t.core.configs.arm(c.id);
  const id = cache.get("http://mirror/pi/kernel8.img")!.id;
  assert.ok(armed.spec?.kind === "linux");
  assert.equal(armed.spec.kernel, `assets/${id}/kernel8.img`);
  const read = (file: string) =>
    t.core.piBoot.read({ dir: { kind: "serial", serial: "9ffefdef" }, file, ip: "10.9.0.50", mac: pi });
  const config = await read("config.txt");
  assert.ok("text" in config && /^kernel=kernel8\.img$/m.test(config.text), JSON.stringify(config));
  assert.deepEqual(await read("kernel8.img"), {
    serve: "asset",
    path: `assets/${id}/kernel8.img`,
    config: c.id,
  });
});

test("a Pi not labelled as one when armed gets HTTP asset URLs, and its boot directory their TFTP names", async () => {
  const pi = parseMac("dc:a6:32:01:36:c2");
  const t = testCore();
  const cache = new StandInCache();
  armThroughAssets(t.core, cache);
  await t.core.profiles.create({
    name: "pi",
    family: "custom",
    kernel: "http://mirror/pi/kernel8.img",
    initrds: ["http://mirror/pi/initramfs8"],
    cmdline: "done={{complete_url}}",
  });
  const c = await t.core.configs.create({ machine: pi, profile: "pi" });
  const armed = await t.core.configs.arm(c.id);
  const kernel = cache.get("http://mirror/pi/kernel8.img")!;
  assert.ok(armed.spec?.kind === "linux");
  assert.equal(armed.spec.kernel, `http://enf.test:8080${kernel.path}`, "armed as any machine");
  // Its DHCP request names its serial (option 97: RPi4, board revision, MAC low bytes, serial).
  const guid = Buffer.concat([
    Buffer.from([0]),
    Buffer.from("RPi4"),
    Buffer.alloc(8),
    Buffer.from("9ffefdef", "hex"),
  ]);
  t.core.piBoot.learn(pi, guid);
  const read = (file: string) =>
    t.core.piBoot.read({ dir: { kind: "serial", serial: "9ffefdef" }, file, ip: "10.9.0.50", mac: pi });
  const config = await read("config.txt");
  assert.ok("text" in config && /^kernel=kernel8\.img$/m.test(config.text), JSON.stringify(config));
  assert.match((config as { text: string }).text, /^initramfs initramfs8 followkernel$/m);
  assert.deepEqual(await read("kernel8.img"), {
    serve: "asset",
    path: `assets/${kernel.id}/kernel8.img`,
    config: c.id,
  });
});

test("discovery boots upstream while its files are first fetched, then from the cache", async () => {
  const t = testCore({
    discovery: true,
    discoveryKernel: "http://img/vmlinuz",
    discoveryInitrd: "http://img/initrd",
  });
  const cache = new StandInCache();
  let release!: () => void;
  cache.gate = new Promise((r) => (release = r));
  const { inUse } = armThroughAssets(t.core, cache);
  const who = { mac: parseMac(MAC), platform: "pcbios" };
  const first = await t.core.boot.machineScript(who);
  assert.ok(first.kind === "discovery" && first.boot.kind === "image");
  assert.equal(first.boot.spec.kind === "linux" && first.boot.spec.kernel, "http://img/vmlinuz");
  release();
  await cache.gate;
  await new Promise((r) => setImmediate(r));
  const again = await t.core.boot.machineScript({ ...who, mac: parseMac("52:54:00:00:00:02") });
  assert.ok(again.kind === "discovery" && again.boot.kind === "image" && again.boot.spec.kind === "linux");
  assert.equal(again.boot.spec.kernel, `http://enf.test:8080${cache.get("http://img/vmlinuz")!.path}`);
  assert.deepEqual(again.boot.spec.initrds[0]?.name, "initrd");
  assert.equal(cache.calls.length, 2, "one fetch per discovery file, started at wiring");
  assert.equal(inUse().size, 2, "the discovery files are kept");
});
