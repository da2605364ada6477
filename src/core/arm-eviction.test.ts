// Eviction against arms under way, with a real core, a real cache and a node:http mirror: a file an arm has
// fetched is not yet named by an armed config, and a download for the same or another arm placed meanwhile
// must not evict it, or the config would be armed naming a file that is gone (a 404 at boot, not at arm time).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { MemoryStore } from "../store/testing/fake-stores.js";
import { createCore } from "./create-core.js";
import { startMirror, type MirrorFile } from "./testing/asset-mirror.js";
import { ManualClock } from "./testing/fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "enforcer-arm-eviction-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const MiB = 1024 * 1024;
const quiet = { info() {}, warn() {} };

async function setup(name: string, files: Record<string, MirrorFile>, maxBytes: number) {
  const mirror = await startMirror(files);
  const core = createCore(
    new MemoryStore(),
    { publicUrl: "http://enf.test:8080", retryWindowMs: 60_000, discovery: false, remotes: [] },
    new ManualClock(),
    {},
    { dir: join(dir, name), maxBytes, log: quiet },
  );
  const profile = (p: string, kernel: string, initrds: string[] = []) =>
    core.profiles.create({
      name: p,
      family: "custom",
      kernel: mirror.url(kernel),
      initrds: initrds.map(mirror.url),
      cmdline: "x",
    });
  const config = async (mac: string, p: string) =>
    (await core.configs.create({ machine: mac, profile: p })).id;
  /** The cache files an armed config names that the cache no longer holds. */
  const missing = (id: string) => {
    const c = core.configs.get(id);
    if (c.spec?.kind !== "linux") return [];
    return [c.spec.kernel, ...c.spec.initrds.map((i) => i.url)]
      .map((u) => new URL(u).pathname.split("/"))
      .filter(
        ([, , aid, n]) => core.assets.open(aid!, n!) === undefined || !existsSync(join(dir, name, aid!, n!)),
      );
  };
  return { mirror, core, profile, config, missing };
}

test("an arm whose files do not fit together fails with ENF_ERR_ASSET_TOO_LARGE instead of evicting its own kernel", async () => {
  const { mirror, core, profile, config, missing } = await setup(
    "own",
    {
      "/os/vmlinuz": { body: Buffer.alloc(1_200_000, "k") },
      // Later than the kernel: the kernel is placed first, then the initrd needs room.
      "/os/initrd": { body: Buffer.alloc(1_200_000, "i"), delayMs: 200 },
    },
    2 * MiB,
  );
  try {
    await profile("both", "/os/vmlinuz", ["/os/initrd"]);
    const id = await config("52:54:00:00:00:01", "both");
    const armed = await core.configs.arm(id).then(
      () => "armed",
      (e: unknown) => (isEnforcerError(e) ? e.code : String(e)),
    );
    assert.deepEqual(
      { armed, missing: armed === "armed" ? missing(id) : [] },
      { armed: "ENF_ERR_ASSET_TOO_LARGE", missing: [] },
    );
    assert.equal(core.configs.get(id).lifecycle.state, "draft");
  } finally {
    await mirror.close();
  }
});

test("two arms placing files at once never evict each other's: one is armed whole, the other refused", async () => {
  const { mirror, core, profile, config, missing } = await setup(
    "two",
    {
      // a's kernel is placed first, b's while a still waits for its initrd (a is not armed yet).
      "/a/vmlinuz": { body: Buffer.alloc(1_200_000, "a") },
      "/a/initrd": { body: Buffer.alloc(1000, "a"), delayMs: 400 },
      "/b/vmlinuz": { body: Buffer.alloc(1_200_000, "b"), delayMs: 200 },
    },
    2 * MiB,
  );
  try {
    await profile("a", "/a/vmlinuz", ["/a/initrd"]);
    await profile("b", "/b/vmlinuz");
    const ids = [await config("52:54:00:00:00:0a", "a"), await config("52:54:00:00:00:0b", "b")];
    const results = await Promise.allSettled(ids.map((id) => core.configs.arm(id)));
    const armed = ids.filter((_, i) => results[i]!.status === "fulfilled");
    for (const id of armed) assert.deepEqual(missing(id), [], `config ${id} is armed with every file cached`);
    assert.deepEqual(armed, [ids[0]], "a, whose kernel came first, is armed");
    const refused = results.find((r) => r.status === "rejected");
    assert.ok(
      refused && isEnforcerError(refused.reason) && refused.reason.code === "ENF_ERR_ASSET_TOO_LARGE",
    );
  } finally {
    await mirror.close();
  }
});
