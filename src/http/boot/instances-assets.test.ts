// The boot asset cache with several instances over one FAKE shared store (two views of one engine, as two
// processes over etcd), each with its own cache directory: a config armed through A, whose files A fetched,
// is booted through B; B fetches each file from its upstream URL on its first request, checked against
// what A stored in the shared catalogue, and pins what configs armed through A need.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createCore } from "../../core/create-core.js";
import { startMirror } from "../../core/testing/asset-mirror.js";
import { ManualClock } from "../../core/testing/fixtures.js";
import { parseMac } from "../../domain/mac.js";
import { MemoryStore } from "../../store/testing/fake-stores.js";
import { SharedMemoryEngine } from "../../store/testing/shared-memory-store.js";
import { buildHttpServer } from "../server.js";

const MAC = parseMac("52:54:00:00:15:03");
const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * seed + 7) % 251));
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function until(ok: () => boolean, what: string, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function setup() {
  const kernel = bytes(300_000, 3);
  const initrd = bytes(200_000, 5);
  const mirror = await startMirror({ "/vmlinuz": { body: kernel }, "/initrd.gz": { body: initrd } });
  const engine = new SharedMemoryEngine();
  const dir = mkdtempSync(join(tmpdir(), "enf-inst-assets-"));
  const warnings: string[] = [];
  const log = { info() {}, warn: (m: string) => warnings.push(m) };
  const clock = new ManualClock();
  const instance = (name: string) => {
    const store = engine.view();
    const publicUrl = `http://${name}.test:8080`;
    const settings = { publicUrl, retryWindowMs: 60_000, discovery: false, remotes: [] };
    const assets = { dir: join(dir, name, "assets"), maxBytes: 4_000_000, log };
    const core = createCore(store, settings, clock, {}, assets);
    return { core, store, http: buildHttpServer(core, { logger: false }) };
  };
  const a = instance("a");
  const b = instance("b");
  // Each claims its first block of event seqs (a lost claim pauses on an unref'd timer: keep the loop alive).
  const alive = setInterval(() => {}, 20);
  await Promise.all([a.core.events.ready(), b.core.events.ready()]).finally(() => clearInterval(alive));
  const close = async () => {
    await Promise.all([a.http.close(), b.http.close()]);
    await Promise.all([a.store.close(), b.store.close()]);
    await mirror.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { a, b, mirror, kernel, initrd, warnings, close };
}

test("fake shared store: B serves the files of a config armed through A, fetched on its first request and checked", async () => {
  const t = await setup();
  try {
    const { a, b, mirror } = t;
    await a.core.profiles.create({
      name: "linux",
      family: "custom",
      kernel: mirror.url("/vmlinuz"),
      initrds: [mirror.url("/initrd.gz")],
      cmdline: "console=ttyS0 done={{complete_url}}",
    });
    await a.core.machines.ensure(MAC);
    const cfg = await a.core.configs.create({ machine: MAC, profile: "linux" });
    await a.core.configs.arm(cfg.id);
    assert.deepEqual([mirror.hits("/vmlinuz"), mirror.hits("/initrd.gz")], [1, 1], "A fetched each once");
    await until(() => b.core.configs.holdingFor(MAC) !== undefined, "the armed config on B");

    // B's script names B's copies (and B's completion URL), not A's.
    const script = await b.http.inject(`/boot/machine?mac=${MAC}`);
    assert.equal(script.statusCode, 200);
    const kernelUrl = /^kernel (\S+)/m.exec(script.body)?.[1] ?? "";
    assert.match(kernelUrl, /^http:\/\/b\.test:8080\/assets\/[0-9a-f]{16}\/vmlinuz$/);
    assert.match(script.body, /done=http:\/\/b\.test:8080\/p\//);
    assert.doesNotMatch(script.body, /a\.test/);

    // Pinned on B too: B's list names the config A armed as the kernel's user (B has no bytes yet).
    const kernelId = kernelUrl.split("/")[4]!;
    assert.ok(b.core.assets.inUse().has(kernelId), "B never evicts what a config armed through A needs");

    const path = new URL(kernelUrl).pathname;
    const got = await b.http.inject(path);
    assert.equal(got.statusCode, 200);
    assert.equal(sha(got.rawPayload), sha(t.kernel));
    assert.equal(mirror.hits("/vmlinuz"), 2, "B fetched it once from upstream");
    assert.equal((await b.http.inject(path)).statusCode, 200);
    assert.equal(mirror.hits("/vmlinuz"), 2, "and then served its own copy");
    const listed = b.core.assetCatalog.list().items.find((x) => x.id === kernelId);
    assert.deepEqual(listed?.usedBy, [cfg.id]);
    assert.equal(listed?.verified, "sha256", "checked against the sha256 A catalogued");

    // Upstream changed the initrd since A fetched it: B refuses to serve other bytes under that name.
    t.mirror.files.set("/initrd.gz", { body: Buffer.concat([t.initrd, Buffer.from("tampered")]) });
    const initrdPath =
      /http:\/\/b\.test:8080(\/assets\/[0-9a-f]{16}\/initrd\.gz)/.exec(script.body)?.[1] ?? "";
    assert.ok(initrdPath, script.body);
    assert.equal((await b.http.inject(initrdPath)).statusCode, 404);
    assert.match(t.warnings.join("\n"), /cached by another instance, cannot be fetched here/);
    const hits = mirror.hits("/initrd.gz");
    assert.equal((await b.http.inject(initrdPath)).statusCode, 404);
    assert.equal(mirror.hits("/initrd.gz"), hits, "a failed fetch is not tried again at once");
    // A, which holds the bytes it checked, still serves them.
    assert.equal(sha((await a.http.inject(initrdPath)).rawPayload), sha(t.initrd));
  } finally {
    await t.close();
  }
});

test("fake shared store: an asset path no instance catalogued is a 404 on B and reaches no mirror", async () => {
  const t = await setup();
  try {
    const r = await t.b.http.inject("/assets/0123456789abcdef/vmlinuz");
    assert.equal(r.statusCode, 404);
    assert.equal(t.mirror.hits("/vmlinuz"), 0);
  } finally {
    await t.close();
  }
});

test("a local store (one instance) catalogues nothing: the file store holds what it held before", async () => {
  const mirror = await startMirror({ "/vmlinuz": { body: bytes(1000, 3) } });
  const dir = mkdtempSync(join(tmpdir(), "enf-one-assets-"));
  try {
    const store = new MemoryStore();
    const settings = {
      publicUrl: "http://a.test:8080",
      retryWindowMs: 60_000,
      discovery: false,
      remotes: [],
    };
    const log = { info() {}, warn() {} };
    const core = createCore(store, settings, new ManualClock(), {}, { dir, maxBytes: 1_000_000, log });
    await core.assetCatalog.add(mirror.url("/vmlinuz"));
    assert.equal(core.assets.list().length, 1);
    assert.equal(store.count("assets"), 0);
  } finally {
    await mirror.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
