// Enforcer's data directory for the storm: the armed machines known, each with an armed config of a Debian
// profile whose kernel and initrd sit on a mirror. Arming fetches them once into the boot asset cache, as
// a site's arm does, and the stored boots name Enforcer's `/assets/<id>/<name>` copies.
import { createReadStream } from "node:fs";
import { createServer } from "node:http";
import { join, normalize } from "node:path";
import { createCore } from "../src/core/create-core.js";
import { FileStore } from "../src/store/file-store.js";
import { parseMac } from "../src/domain/mac.js";
import { KERNEL_DIR } from "./storm-files.js";
import type { StormPlan } from "./storm-plan.js";

/** The cache's cap for the storm: the default, room for the 48 MiB the armed configs need. */
const CACHE_BYTES = 4 * 2 ** 30;

/**
 * Where an armed config's kernel and initrd come from: a mirror the cache fetches them from at arm time
 * (before the asset cache: Enforcer's own `/tftp/storm/` over its --tftp-root).
 */
function kernelLocation(mirror: string): string {
  // storm: swap to the asset cache
  return `${mirror}/${KERNEL_DIR}/`;
}

/** A loopback mirror of `root` for the seeding only (the bench's namespace: Enforcer is not running yet). */
async function startMirror(root: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = normalize(new URL(req.url ?? "/", "http://x").pathname);
    const file = createReadStream(join(root, path));
    file.once("error", () => res.writeHead(404).end());
    file.once("open", () => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      file.pipe(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Seeds `data`: the armed machines and their configs, armed through the cache; the rest unknown. */
export async function seedEnforcer(data: string, root: string, plan: StormPlan, url: string): Promise<void> {
  const mirror = await startMirror(root);
  const store = await FileStore.open({ dir: join(data, "store") });
  const log = { info() {}, warn: (m: string) => console.error(`  seed: ${m}`) };
  try {
    const core = createCore(
      store,
      { publicUrl: url, retryWindowMs: 300_000, discovery: false, remotes: [] },
      undefined,
      {},
      { dir: join(data, "assets"), maxBytes: CACHE_BYTES, log },
    );
    await core.profiles.create({
      name: "storm",
      family: "debian",
      location: kernelLocation(mirror.url),
      provisioning: "d-i netcfg/get_hostname string {{ hostname }}\n",
    });
    for (const m of plan.machines.filter((x) => x.armed)) {
      await core.machines.ensure(parseMac(m.mac));
      const c = await core.configs.create({ machine: m.mac, profile: "storm" });
      await core.configs.arm(c.id);
    }
    // Both files fetched once for all the configs, or the storm would measure something else.
    const cached = core.assets.list().map((e) => e.name);
    if (cached.sort().join() !== "initrd.gz,linux")
      throw new Error(`seeding: the asset cache holds [${cached.join(", ")}], not the kernel and initrd`);
    await core.assets.flush();
  } finally {
    await store.close();
    await mirror.close();
  }
}
