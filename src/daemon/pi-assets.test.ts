// A Pi's kernel from a URL, through the asset cache, end to end short of the UDP socket: a real core with the
// cache on (a node:http mirror as upstream), arming fetches the kernel, and the TFTP glue serves the cached
// bytes in the Pi's boot directory after config.txt names them.
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
import { MemoryStore } from "../store/testing/fake-stores.js";
import { withAssets } from "./asset-files.js";
import { piFiles } from "./pi-tftp.js";

const dir = mkdtempSync(join(tmpdir(), "enforcer-pi-assets-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const PI = parseMac("dc:a6:32:01:36:c2");
const KERNEL = Buffer.alloc(70_000, 7);

test("a Pi config's URL kernel is fetched at arm time and served in the Pi's directory over TFTP", async () => {
  const mirror = await startMirror({ "/pi/kernel8.img": { body: KERNEL } });
  try {
    const log = pino({ level: "silent" });
    const settings = {
      publicUrl: "http://enf.test:8080",
      retryWindowMs: 60_000,
      discovery: false,
      remotes: [],
    };
    const core = createCore(
      new MemoryStore(),
      settings,
      new ManualClock(),
      {},
      {
        dir: join(dir, "assets"),
        maxBytes: 1024 * 1024,
        log,
      },
    );
    await core.profiles.create({
      name: "pi",
      family: "custom",
      kernel: mirror.url("/pi/kernel8.img"),
      cmdline: "root=/dev/nfs done={{complete_url}}",
    });
    await core.machines.register(PI, { labels: { [PI_SERIAL_LABEL]: "9ffefdef" } });
    const c = await core.configs.create({ machine: PI, profile: "pi" });
    await core.configs.arm(c.id);
    assert.equal(mirror.hits("/pi/kernel8.img"), 1);

    const open = piFiles({
      piBoot: core.piBoot,
      firmware: undefined,
      files: withAssets(new BootFiles({ generated: () => undefined, root: dir }), core.assets),
      neighbour: async () => PI,
      log,
    });
    const read = async (name: string) => {
      const f = await open(Buffer.from(name), "10.0.0.5");
      assert.ok(f?.ok, `${name}: ${JSON.stringify(f)}`);
      const file = f as Extract<BootFile, { ok: true }>;
      try {
        return Buffer.from(await file.read(0, file.size));
      } finally {
        file.close();
      }
    };
    assert.match((await read("9ffefdef/config.txt")).toString(), /^kernel=kernel8\.img$/m);
    assert.ok((await read("9ffefdef/kernel8.img")).equals(KERNEL), "the cached bytes, by the Pi's own name");
    assert.equal(mirror.hits("/pi/kernel8.img"), 1, "the boot did not go upstream");
    assert.deepEqual([...core.assets.inUse()], [core.assets.get(mirror.url("/pi/kernel8.img"))!.id]);
  } finally {
    await mirror.close();
  }
});
