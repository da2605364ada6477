// A Pi's kernel with several instances over one FAKE shared store (two views of one engine, as two
// processes over etcd), each with its own asset cache: armed through A (which fetched the kernel), the Pi
// boots through B's TFTP glue; B fetches the kernel from upstream on the first read, checked against A's
// catalogue, and serves it by the Pi's own name and under `assets/<id>/<name>`.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { pino } from "pino";
import { createCore } from "../core/create-core.js";
import { startMirror } from "../core/testing/asset-mirror.js";
import { ManualClock } from "../core/testing/fixtures.js";
import { parseMac } from "../domain/mac.js";
import { PI_SERIAL_LABEL } from "../domain/pi-boot.js";
import { BootFiles, type BootFile } from "../files/boot-files.js";
import { SharedMemoryEngine } from "../store/testing/shared-memory-store.js";
import { withAssets } from "./asset-files.js";
import { piFiles } from "./pi-tftp.js";

const dir = mkdtempSync(join(tmpdir(), "enforcer-inst-pi-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const PI = parseMac("dc:a6:32:01:36:c3");
const KERNEL = Buffer.alloc(90_000, 9);

async function until(ok: () => boolean, what: string, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("fake shared store: a Pi armed through A boots its kernel through B's TFTP, fetched by B and checked", async () => {
  const mirror = await startMirror({ "/pi/kernel8.img": { body: KERNEL } });
  const engine = new SharedMemoryEngine();
  const log = pino({ level: "silent" });
  const clock = new ManualClock();
  const instance = (name: string) => {
    const store = engine.view();
    const settings = {
      publicUrl: `http://${name}.test:8080`,
      retryWindowMs: 60_000,
      discovery: false,
      remotes: [],
    };
    const assets = { dir: join(dir, name, "assets"), maxBytes: 1024 * 1024, log };
    return { store, core: createCore(store, settings, clock, {}, assets) };
  };
  const a = instance("a");
  const b = instance("b");
  try {
    const alive = setInterval(() => {}, 20);
    await Promise.all([a.core.events.ready(), b.core.events.ready()]).finally(() => clearInterval(alive));
    await a.core.profiles.create({
      name: "pi",
      family: "custom",
      kernel: mirror.url("/pi/kernel8.img"),
      cmdline: "root=/dev/nfs done={{complete_url}}",
    });
    await a.core.machines.register(PI, { labels: { [PI_SERIAL_LABEL]: "9ffefdee" } });
    const c = await a.core.configs.create({ machine: PI, profile: "pi" });
    await a.core.configs.arm(c.id);
    assert.equal(mirror.hits("/pi/kernel8.img"), 1);
    await until(() => b.core.configs.holdingFor(PI) !== undefined, "the armed config on B");

    const files = withAssets(new BootFiles({ generated: () => undefined, root: dir }), b.core.assets);
    const open = piFiles({
      piBoot: b.core.piBoot,
      firmware: undefined,
      files,
      neighbour: async () => PI,
      log,
    });
    const read = async (f: { ok: boolean } | undefined, name: string) => {
      assert.ok(f?.ok, `${name}: ${JSON.stringify(f)}`);
      const file = f as unknown as Extract<BootFile, { ok: true }>;
      try {
        return Buffer.from(await file.read(0, file.size));
      } finally {
        file.close();
      }
    };
    const pi = async (name: string) => read(await open(Buffer.from(name), "10.0.0.6"), name);
    assert.match((await pi("9ffefdee/config.txt")).toString(), /^kernel=kernel8\.img$/m);
    assert.match((await pi("9ffefdee/cmdline.txt")).toString(), /done=http:\/\/b\.test:8080\/p\//);
    assert.ok((await pi("9ffefdee/kernel8.img")).equals(KERNEL), "B's copy, by the Pi's own name");
    assert.equal(mirror.hits("/pi/kernel8.img"), 2, "B fetched it once");
    const id = a.core.assets.get(mirror.url("/pi/kernel8.img"))!.id;
    const plain = `assets/${id}/kernel8.img`;
    assert.ok((await read(await files.open(Buffer.from(plain)), plain)).equals(KERNEL));
    assert.equal(mirror.hits("/pi/kernel8.img"), 2);
  } finally {
    await Promise.all([a.store.close(), b.store.close()]);
    await mirror.close();
  }
});
