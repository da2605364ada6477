import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { after, test } from "node:test";
import { isEnforcerError } from "../domain/errors.js";
import { AssetCache, type AssetCacheOptions } from "./asset-cache.js";
import { startMirror, type Mirror } from "./testing/asset-mirror.js";
import { ManualClock } from "./testing/fixtures.js";

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function cacheDir(): string {
  const d = mkdtempSync(join(tmpdir(), "enforcer-assets-"));
  dirs.push(d);
  return join(d, "assets");
}

function cache(dir: string, maxBytes: number, over: Partial<AssetCacheOptions> = {}) {
  const clock = new ManualClock();
  const warnings: string[] = [];
  const c = new AssetCache({
    dir,
    maxBytes,
    clock,
    log: { info: () => {}, warn: (m) => warnings.push(m) },
    ...over,
  });
  return { c, clock, warnings };
}

/** Every file under `dir`, relative (directories left out). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
}

const bytes = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * seed + 7) % 251));
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err) => isEnforcerError(err) && err.code === code);
}

async function withMirror(
  files: Parameters<typeof startMirror>[0],
  fn: (m: Mirror) => Promise<void>,
): Promise<void> {
  const m = await startMirror(files);
  try {
    await fn(m);
  } finally {
    await m.close();
  }
}

test("concurrent first requests for one URL fetch it upstream once, and every caller gets the same entry", async () => {
  const kernel = bytes(300_000);
  await withMirror({ "/d/vmlinuz": { body: kernel, delayMs: 100 } }, async (m) => {
    const dir = cacheDir();
    const { c } = cache(dir, 10_000_000);
    const got = await Promise.all(Array.from({ length: 20 }, () => c.ensure(m.url("/d/vmlinuz"))));
    assert.equal(m.hits("/d/vmlinuz"), 1);
    assert.ok(got.every((e) => e === got[0]));
    const e = got[0]!;
    assert.deepEqual(
      [e.name, e.size, e.sha256, e.verified, e.path, e.source],
      ["vmlinuz", kernel.length, sha(kernel), "size", `/assets/${e.id}/vmlinuz`, m.url("/d/vmlinuz")],
    );
    assert.match(e.id, /^[0-9a-f]{16}$/);
    const opened = c.open(e.id, "vmlinuz")!;
    assert.ok(readFileSync(opened.file).equals(kernel));
    assert.equal(c.open(e.id, "other"), undefined);
    assert.equal(c.get(m.url("/d/vmlinuz")), e);
    assert.equal(c.get(e.id), e);
    // Cached now: asking again reads nothing upstream.
    await c.ensure(m.url("/d/vmlinuz"));
    assert.equal(m.hits("/d/vmlinuz"), 1);
    assert.deepEqual(c.usage(), { bytes: kernel.length, maxBytes: 10_000_000, count: 1 });
  });
});

test("a caller's wrong checksum fails only that caller, not one asking for the same URL at the same time", async () => {
  // Two profiles name one URL, one with a mistyped checksum: arming the other must not fail with it.
  const kernel = bytes(50_000);
  await withMirror({ "/d/vmlinuz": { body: kernel, delayMs: 100 } }, async (m) => {
    const { c } = cache(cacheDir(), 10_000_000);
    const [wrong, plain] = await Promise.allSettled([
      c.ensure(m.url("/d/vmlinuz"), { sha256: "0".repeat(64) }),
      c.ensure(m.url("/d/vmlinuz")),
    ]);
    assert.ok(wrong.status === "rejected" && isEnforcerError(wrong.reason, "ENF_ERR_ASSET_CHECKSUM"));
    assert.equal(plain.status === "fulfilled" && plain.value.sha256, sha(kernel));
  });
});

test("the mirror's SHA256SUMS up to three directories above the file is used; a mismatch keeps nothing", async () => {
  const linux = bytes(50_000, 3);
  const initrd = bytes(60_000, 5);
  const sums = `${sha(linux)}  ./netboot/debian-installer/amd64/linux\n${"0".repeat(64)}  ./netboot/debian-installer/amd64/initrd.gz\n`;
  await withMirror(
    {
      "/images/SHA256SUMS": { body: Buffer.from(sums) },
      "/images/netboot/debian-installer/amd64/linux": { body: linux },
      "/images/netboot/debian-installer/amd64/initrd.gz": { body: initrd },
    },
    async (m) => {
      const dir = cacheDir();
      const { c } = cache(dir, 10_000_000);
      const e = await c.ensure(m.url("/images/netboot/debian-installer/amd64/linux"));
      assert.equal(e.verified, "sha256");
      await rejects(
        c.ensure(m.url("/images/netboot/debian-installer/amd64/initrd.gz")),
        "ENF_ERR_ASSET_CHECKSUM",
      );
      assert.equal(c.list().length, 1);
      assert.deepEqual(filesUnder(dir), [`${e.id}.json`, `${e.id}/linux`]);
    },
  );
});

test("a wrong expected sha256 or size, a body shorter than its Content-Length, or a cut connection is never kept", async () => {
  const body = bytes(200_000, 7);
  await withMirror(
    {
      "/ok": { body },
      "/lies": { body: body.subarray(0, 1000), length: 200_000 },
      "/cut": { body, cutAfter: 70_000 },
      "/cut-chunked": { body, cutAfter: 70_000, chunked: true },
      "/gone": { body, status: 404 },
    },
    async (m) => {
      const dir = cacheDir();
      const { c } = cache(dir, 10_000_000);
      await rejects(c.ensure(m.url("/ok"), { sha256: sha(Buffer.from("other")) }), "ENF_ERR_ASSET_CHECKSUM");
      await rejects(c.ensure(m.url("/ok"), { size: body.length + 1 }), "ENF_ERR_ASSET_CHECKSUM");
      await rejects(c.ensure(m.url("/lies")), "ENF_ERR_ASSET_FETCH");
      await rejects(c.ensure(m.url("/cut")), "ENF_ERR_ASSET_FETCH");
      await rejects(c.ensure(m.url("/cut-chunked")), "ENF_ERR_ASSET_FETCH");
      await assert.rejects(c.ensure(m.url("/gone")), /the mirror answered 404/);
      // A failure is not remembered: once the mirror has the file, the next ensure fetches it.
      m.files.set("/gone", { body });
      assert.equal((await c.ensure(m.url("/gone"))).size, body.length);
      await c.remove(c.get(m.url("/gone"))!.id);
      await rejects(c.ensure("ftp://mirror/x"), "ENF_ERR_ASSET_URL");
      await rejects(c.ensure("not a url"), "ENF_ERR_ASSET_URL");
      assert.deepEqual(c.list(), []);
      assert.deepEqual(filesUnder(dir), []);
      // The right expectation: kept, and checked by sha256.
      const e = await c.ensure(m.url("/ok"), { sha256: sha(body).toUpperCase(), size: body.length });
      assert.equal(e.verified, "sha256");
    },
  );
});

test("a body the mirror sends gzip-encoded although asked for identity is refused, not kept decoded", async () => {
  // Apache's `AddEncoding gzip .gz` labels a .gz file so; fetch would undo it and keep other bytes than the
  // mirror's file (its SHA256SUMS, what iPXE fetching the URL itself gets).
  const file = gzipSync(bytes(200_000));
  const gz = { "content-encoding": "gzip" };
  await withMirror(
    {
      "/a/initrd.gz": { body: file, headers: gz },
      "/b/initrd.gz": { body: file, headers: gz, chunked: true },
    },
    async (m) => {
      const dir = cacheDir();
      const { c } = cache(dir, 10_000_000);
      for (const path of ["/a/initrd.gz", "/b/initrd.gz"])
        await assert.rejects(
          c.ensure(m.url(path)),
          (err) =>
            isEnforcerError(err) &&
            err.code === "ENF_ERR_ASSET_FETCH" &&
            err.message.includes("Content-Encoding: gzip"),
          path,
        );
      assert.deepEqual(filesUnder(dir), []);
    },
  );
});

test("an upload whose announced length is over the cap is refused before a byte of it is read", async () => {
  const { c } = cache(cacheDir(), 4000);
  let read = 0;
  // A body that would go on for ever: only the announced length can refuse it early.
  const body = new Readable({
    read() {
      read++;
      this.push(Buffer.alloc(1000));
    },
  });
  await rejects(c.add("big.img", body, {}, 5000), "ENF_ERR_ASSET_TOO_LARGE");
  body.destroy();
  assert.equal(read, 0);
});

test("an upload under the name of a file an armed config needs is refused and the armed bytes stay; the same bytes again are fine", async () => {
  const pinned = new Set<string>();
  const dir = cacheDir();
  const { c } = cache(dir, 1_000_000, { inUse: () => pinned });
  const armed = bytes(3000, 3);
  const first = await c.add("initrd.gz", Readable.from([armed]));
  pinned.add(first.id);
  await rejects(c.add("initrd.gz", Readable.from([bytes(3000, 5)])), "ENF_ERR_ASSET_IN_USE");
  assert.deepEqual(readFileSync(c.open(first.id, first.name)!.file), armed);
  assert.equal(c.get(first.id)!.sha256, sha(armed));
  assert.equal((await c.add("initrd.gz", Readable.from([armed]))).sha256, sha(armed));
  pinned.clear();
  const replaced = await c.add("initrd.gz", Readable.from([bytes(2000, 5)]));
  assert.equal(replaced.size, 2000);
  assert.deepEqual(
    filesUnder(dir).filter((f) => f.includes(".tmp")),
    [],
  );
});

test("a URL with a broken percent-escape is fetched like any other, not an internal error", async () => {
  const body = bytes(1000);
  // A checksum list the mirror publishes: its names are compared with the file's path, decoded.
  const sums = { body: Buffer.from(`${"0".repeat(64)}  other\n`) };
  const files = { "/x%E0%A4%A/vmlinuz": { body }, "/y/%E0%A4%A": { body }, "/SHA256SUMS": sums };
  await withMirror(files, async (m) => {
    const { c } = cache(cacheDir(), 10_000);
    for (const path of ["/x%E0%A4%A/vmlinuz", "/y/%E0%A4%A"]) {
      const e = await c.ensure(m.url(path));
      assert.deepEqual([e.size, e.sha256, e.verified], [body.length, sha(body), "size"], path);
    }
  });
});

test("a URL with a user and password is fetched with them as Basic auth, as iPXE would", async () => {
  const body = bytes(1000);
  const sums = { body: Buffer.from(`${sha(body)}  k\n`), auth: "me:p@ss w" };
  await withMirror({ "/os/k": { body, auth: "me:p@ss w" }, "/os/SHA256SUMS": sums }, async (m) => {
    const logged: string[] = [];
    const { c } = cache(cacheDir(), 10_000, {
      log: { info: (l) => logged.push(l), warn: (l) => logged.push(l) },
    });
    const url = m.url("/os/k").replace("http://", "http://me:p%40ss%20w@");
    const e = await c.ensure(url);
    assert.deepEqual([e.size, e.verified], [body.length, "sha256"]);
    assert.ok(logged.length > 0 && !logged.some((l) => l.includes("p%40ss")), logged.join("\n"));
  });
});

test("an HTML page answered with 200 (a captive portal, a soft 404) is refused unless a sha256 vouches for it", async () => {
  const page = Buffer.from("<html><body>Please log in</body></html>");
  const html = { "content-type": "text/html; charset=utf-8" };
  await withMirror({ "/os/vmlinuz": { body: page, headers: html } }, async (m) => {
    const dir = cacheDir();
    const { c } = cache(dir, 10_000);
    await assert.rejects(
      c.ensure(m.url("/os/vmlinuz")),
      (err) => isEnforcerError(err, "ENF_ERR_ASSET_FETCH") && err.message.includes("text/html"),
    );
    assert.deepEqual(filesUnder(dir), []);
    // The profile's checksum says these are the bytes wanted, whatever the label.
    const e = await c.ensure(m.url("/os/vmlinuz"), { sha256: sha(page) });
    assert.equal(e.size, page.length);
  });
});

test("a mirror that does not answer in time is a fetch error naming the timeout, and leaves nothing", async () => {
  await withMirror({ "/slow": { body: bytes(10), delayMs: 3000 } }, async (m) => {
    const dir = cacheDir();
    const { c } = cache(dir, 1000, { timeoutMs: 200 });
    await assert.rejects(
      c.ensure(m.url("/slow")),
      (err) => isEnforcerError(err, "ENF_ERR_ASSET_FETCH") && /timed out/.test(err.message),
    );
    assert.deepEqual(filesUnder(dir), []);
  });
});

test("over the cap: a Content-Length is refused before downloading, a chunked body is cut at the cap", async () => {
  const big = bytes(5000);
  await withMirror({ "/big": { body: big }, "/big-chunked": { body: big, chunked: true } }, async (m) => {
    const dir = cacheDir();
    const { c } = cache(dir, 4000);
    await rejects(c.ensure(m.url("/big")), "ENF_ERR_ASSET_TOO_LARGE");
    await rejects(c.ensure(m.url("/big-chunked")), "ENF_ERR_ASSET_TOO_LARGE");
    await rejects(c.add("upload.img", Readable.from([big])), "ENF_ERR_ASSET_TOO_LARGE");
    assert.deepEqual(filesUnder(dir), []);
    const off = cache(cacheDir(), 0).c;
    await rejects(off.ensure(m.url("/big")), "ENF_ERR_ASSET_DISABLED");
    assert.equal(m.hits("/big"), 1);
  });
});

test("eviction takes the least recently used first and never an id an armed config needs", async () => {
  const files = Object.fromEntries(
    ["a", "b", "c", "d", "e"].map((n, i) => [`/${n}`, { body: bytes(1000, i + 2) }]),
  );
  await withMirror(files, async (m) => {
    const dir = cacheDir();
    const pinned = new Set<string>();
    const { c, clock } = cache(dir, 3000, { inUse: () => pinned });
    const ids: Record<string, string> = {};
    for (const n of ["a", "b", "c"]) {
      ids[n] = (await c.ensure(m.url(`/${n}`))).id;
      clock.advance(1000);
    }
    // a is used again (a boot), so b is now the least recently used; b is pinned, so c goes first.
    c.open(ids.a!, "a");
    clock.advance(1000);
    pinned.add(ids.b!);
    ids.d = (await c.ensure(m.url("/d"))).id;
    assert.deepEqual(new Set(c.list().map((e) => e.name)), new Set(["a", "b", "d"]));
    clock.advance(1000);
    ids.e = (await c.ensure(m.url("/e"))).id;
    assert.deepEqual(new Set(c.list().map((e) => e.name)), new Set(["b", "d", "e"]));
    assert.equal(c.usage().bytes, 3000);
    assert.equal(filesUnder(dir).length, 6);
    await rejects(c.remove(ids.b!), "ENF_ERR_ASSET_IN_USE");
    await rejects(c.remove("0123456789abcdef"), "ENF_ERR_ASSET_NOT_FOUND");
    // Everything pinned: a new file has no room, and nothing is evicted for it.
    pinned.add(ids.d!).add(ids.e!);
    await rejects(c.ensure(m.url("/a")), "ENF_ERR_ASSET_TOO_LARGE");
    assert.equal(c.list().length, 3);
    pinned.delete(ids.e!);
    await c.remove(ids.e!);
    assert.equal(c.get(ids.e!), undefined);
    assert.equal(filesUnder(dir).length, 4);
  });
});

test("a restart keeps the entries and the last use flushed at close, and removes what has no valid entry", async () => {
  const body = bytes(4000);
  await withMirror({ "/k/vmlinuz": { body } }, async (m) => {
    const dir = cacheDir();
    const first = cache(dir, 1_000_000);
    const e = await first.c.ensure(m.url("/k/vmlinuz"));
    const up = await first.c.add("my initrd.gz", Readable.from([Buffer.from("INITRD")]));
    assert.deepEqual([up.name, up.source, up.verified], ["file", "upload:file", "size"]);
    first.clock.advance(60_000);
    first.c.open(e.id, "vmlinuz");
    const usedAt = first.c.get(e.id)!.lastUsedAt;
    // Only in memory until a flush (SD cards): the file on disk still has the fetch time.
    assert.notEqual(JSON.parse(readFileSync(join(dir, `${e.id}.json`), "utf8")).lastUsedAt, usedAt);
    await first.c.flush();
    // Leftovers a crash could leave: a download never placed, a file without its entry, a damaged entry.
    writeFileSync(join(dir, ".tmp", "abc.123"), "partial");
    mkdirSync(join(dir, "00000000000000aa"));
    writeFileSync(join(dir, "00000000000000aa", "linux"), "orphan");
    writeFileSync(join(dir, `${up.id}.json`), "{not json");
    writeFileSync(join(dir, e.id, "stray"), "x");

    const second = cache(dir, 1_000_000);
    assert.deepEqual(
      second.c.list().map((x) => [x.id, x.size, x.sha256, x.lastUsedAt]),
      [[e.id, body.length, sha(body), usedAt]],
    );
    assert.deepEqual(filesUnder(dir), [`${e.id}.json`, `${e.id}/vmlinuz`]);
    assert.ok(second.warnings.some((w) => w.includes("00000000000000aa")));
    await second.c.ensure(m.url("/k/vmlinuz"));
    assert.equal(m.hits("/k/vmlinuz"), 1);
  });
});
