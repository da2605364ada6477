// The asset cache as a booting machine sees it: a real `enforcer serve` over a data directory the cache
// filled from a local mirror, read with curl over HTTP (ranges, HEAD) and over TFTP.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { AssetCache, type AssetEntry } from "../../src/core/asset-cache.js";
import { startMirror } from "../../src/core/testing/asset-mirror.js";
import { systemClock } from "../../src/core/ports.js";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";

const run = promisify(execFile);

function needCurl(): void {
  try {
    execFileSync("curl", ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error("this test needs curl: apt-get install -y curl (or bash scripts/ensure-peers.sh)");
  }
}

/** curl's status code, headers and body for one request. */
async function curl(args: string[]): Promise<{ status: number; headers: string; body: Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-curl-"));
  try {
    const { stdout } = await run(
      "curl",
      ["-sS", "-o", join(dir, "body"), "-D", join(dir, "headers"), "-w", "%{http_code}", ...args],
      { encoding: "utf8" },
    );
    return {
      status: Number(stdout),
      headers: readFileSync(join(dir, "headers"), "utf8").toLowerCase(),
      body: readFileSync(join(dir, "body"), { flag: "a+" }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("cached assets served by enforcer", { timeout: 60_000 }, () => {
  // Larger than one read chunk (256 KiB) and not a multiple of any block size.
  const kernel = Buffer.from(Array.from({ length: 700_001 }, (_, i) => (i * 31 + 3) % 256));
  let enf: EnforcerProcess & { tftpPort?: number };
  let entry: AssetEntry;
  let url: string;
  const data = mkdtempSync(join(tmpdir(), "enforcer-assets-serve-"));

  before(async () => {
    needCurl();
    const mirror = await startMirror({ "/dists/x/vmlinuz": { body: kernel } });
    try {
      // The data directory as an earlier run left it: the cache's own files, read again at start.
      const cache = new AssetCache({
        dir: join(data, "assets"),
        maxBytes: 10_000_000,
        clock: systemClock,
        log: { info: () => {}, warn: () => {} },
      });
      entry = await cache.ensure(mirror.url("/dists/x/vmlinuz"));
    } finally {
      await mirror.close();
    }
    enf = await startEnforcer(["--asset-cache-size", "4GiB"], { data, tftp: true });
    url = `${enf.base}${entry.path}`;
  });
  after(async () => {
    if (enf?.child.exitCode === null) await enf.stop();
    rmSync(data, { recursive: true, force: true });
  });

  test("GET streams the whole file; HEAD gives its length without a body", async () => {
    const whole = await curl([url]);
    assert.equal(whole.status, 200);
    assert.equal(sha(whole.body), sha(kernel));
    assert.match(whole.headers, /accept-ranges: bytes/);
    const head = await curl(["-I", url]);
    assert.equal(head.status, 200);
    assert.match(head.headers, new RegExp(`content-length: ${kernel.length}\\r`));
    // curl -I writes the headers where the body would go: nothing of the file follows them.
    assert.ok(head.body.length < 1000 && !head.body.includes(kernel.subarray(0, 64)));
  });

  test("byte ranges with curl: first bytes, an open end, a suffix, one past the end is a 416", async () => {
    const size = kernel.length;
    for (const [range, start, end] of [
      ["0-99", 0, 100],
      ["100-", 100, size],
      ["-500", size - 500, size],
      [`${size - 10}-${size + 1000}`, size - 10, size],
      ["300000-300000", 300_000, 300_001],
    ] as const) {
      const r = await curl(["-r", range, url]);
      assert.equal(r.status, 206, range);
      assert.ok(r.body.equals(kernel.subarray(start, end)), range);
      assert.match(r.headers, new RegExp(`content-range: bytes ${start}-${end - 1}/${size}\\r`), range);
    }
    const past = await curl(["-r", `${size}-`, url]);
    assert.equal(past.status, 416);
    assert.match(past.headers, new RegExp(`content-range: bytes \\*/${size}\\r`));
  });

  test("anything but a cached id and its name is a 404, with nothing read from elsewhere on disk", async () => {
    for (const path of [
      `/assets/${entry.id}/other`,
      `/assets/0000000000000000/vmlinuz`,
      `/assets/${entry.id}/..%2F${entry.id}.json`,
      `/assets/..%2F..%2Fadmin.token/x`,
      `/assets/${entry.id}/%2e%2e`,
      `/assets/${entry.id}`,
    ]) {
      const r = await curl(["--path-as-is", `${enf.base}${path}`]);
      assert.equal(r.status, 404, path);
      assert.ok(!r.body.toString().includes(enf.token), path);
    }
  });

  test("TFTP serves the same file under assets/<id>/<name> (curl, blksize 1468); other names are not found", async () => {
    const tftp = `tftp://127.0.0.1:${enf.tftpPort}`;
    const dir = mkdtempSync(join(tmpdir(), "enforcer-assets-tftp-"));
    try {
      await run("curl", ["-sS", "--tftp-blksize", "1468", `${tftp}${entry.path}`, "-o", join(dir, "k")]);
      assert.equal(sha(readFileSync(join(dir, "k"))), sha(kernel));
      await assert.rejects(
        run("curl", ["-sS", `${tftp}/assets/${entry.id}/nope`, "-o", join(dir, "n")]),
        /not found|TFTP/i,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the last use is kept in memory while serving and written at shutdown", async () => {
    const meta = () =>
      JSON.parse(readFileSync(join(data, "assets", `${entry.id}.json`), "utf8")) as AssetEntry;
    assert.equal(meta().lastUsedAt, entry.lastUsedAt);
    assert.equal(await enf.stop(), 0);
    assert.ok(meta().lastUsedAt > entry.lastUsedAt, meta().lastUsedAt);
  });
});
