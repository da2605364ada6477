import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { testCore } from "../../core/testing/fixtures.js";
import { BootFiles } from "../../files/boot-files.js";
import { buildHttpServer } from "../server.js";

test("GET /tftp/<name> serves the TFTP namespace over HTTP with the same refusals", async () => {
  const base = mkdtempSync(join(tmpdir(), "enforcer-http-files-"));
  mkdirSync(join(base, "root"));
  writeFileSync(join(base, "root", "undionly.kpxe"), "LOADER");
  writeFileSync(join(base, "secret"), "SECRET");
  symlinkSync(join(base, "secret"), join(base, "root", "escape"));
  const files = new BootFiles({
    root: join(base, "root"),
    generated: (n) => (n === "boot.ipxe" ? Buffer.from("#!ipxe\n") : undefined),
  });
  const { core } = testCore();
  const http = buildHttpServer(core, { logger: false, files });

  const ok = await http.inject("/tftp/undionly.kpxe");
  assert.deepEqual([ok.statusCode, ok.body, ok.headers["content-length"]], [200, "LOADER", "6"]);
  assert.equal((await http.inject("/tftp/boot.ipxe")).body, "#!ipxe\n");
  for (const [path, status, code] of [
    ["/tftp/escape", 403, "ENF_ERR_FILE_ACCESS"],
    ["/tftp/..%2Fsecret", 403, "ENF_ERR_FILE_ACCESS"],
    ["/tftp/a%00b", 403, "ENF_ERR_FILE_ACCESS"],
    ["/tftp/missing", 404, "ENF_ERR_HTTP_NOT_FOUND"],
  ] as const) {
    const r = await http.inject(path);
    assert.deepEqual([r.statusCode, r.json().code], [status, code], path);
    assert.ok(!r.body.includes("SECRET"));
  }
});

test("GET /tftp/<name>: large files stream from disk; one byte range is honoured, past the end is a 416", async () => {
  const root = mkdtempSync(join(tmpdir(), "enforcer-http-range-"));
  // Larger than the in-memory cache takes, so this one is streamed from disk.
  const big = Buffer.alloc(17 * 1024 * 1024 + 3);
  for (let i = 0; i + 4 <= big.length; i += 4096) big.writeUInt32BE(i, i);
  writeFileSync(join(root, "big.bin"), big);
  writeFileSync(join(root, "small.bin"), "0123456789");
  const files = new BootFiles({ root, generated: () => undefined });
  const http = buildHttpServer(testCore().core, { logger: false, files });

  const whole = await http.inject("/tftp/big.bin");
  assert.equal(whole.statusCode, 200);
  assert.equal(whole.headers["content-length"], String(big.length));
  assert.ok(whole.rawPayload.equals(big));
  for (const [name, data] of [
    ["big.bin", big],
    ["small.bin", Buffer.from("0123456789")],
  ] as const) {
    const size = data.length;
    const part = await http.inject({ url: `/tftp/${name}`, headers: { range: "bytes=4-7" } });
    assert.deepEqual(
      [part.statusCode, part.headers["content-range"], part.headers["content-length"]],
      [206, `bytes 4-7/${size}`, "4"],
    );
    assert.ok(part.rawPayload.equals(data.subarray(4, 8)));
    const tail = await http.inject({ url: `/tftp/${name}`, headers: { range: "bytes=-3" } });
    assert.ok(tail.rawPayload.equals(data.subarray(size - 3)));
    const past = await http.inject({ url: `/tftp/${name}`, headers: { range: `bytes=${size}-` } });
    assert.deepEqual(
      [past.statusCode, past.headers["content-range"], past.json().code],
      [416, `bytes */${size}`, "ENF_ERR_HTTP_RANGE"],
    );
  }
});

test("GET with If-Range: these answers give no validator, so none matches and the whole file is sent", async () => {
  // RFC 9110 13.1.5: a server MUST ignore Range when If-Range does not match. A client resuming a file that
  // was replaced since (an asset fetched again under the same URL) would otherwise join two files' bytes.
  const root = mkdtempSync(join(tmpdir(), "enforcer-http-if-range-"));
  writeFileSync(join(root, "small.bin"), "0123456789");
  const http = buildHttpServer(testCore().core, {
    logger: false,
    files: new BootFiles({ root, generated: () => undefined }),
  });
  for (const ifRange of ['"v1"', "Wed, 21 Oct 2015 07:28:00 GMT"]) {
    const r = await http.inject({
      url: "/tftp/small.bin",
      headers: { range: "bytes=4-7", "if-range": ifRange },
    });
    assert.deepEqual(
      [r.statusCode, r.body, r.headers["content-range"]],
      [200, "0123456789", undefined],
      ifRange,
    );
  }
});

// HEAD answered the headers at once but piped the whole file into the void: each HEAD of a 300 MB file in
// the TFTP root read all 300 MB, so 60 HEAD requests (under a second, well inside the boot rate limit)
// kept a core busy for 20 s reading 18 GB. A HEAD now opens the file for its size only.
test("HEAD /tftp/<name> answers the headers without reading the file", async () => {
  const root = mkdtempSync(join(tmpdir(), "enforcer-http-head-"));
  writeFileSync(join(root, "big.bin"), Buffer.alloc(40 * 1024 * 1024, 1));
  const files = new BootFiles({ root, generated: () => undefined });
  const http = buildHttpServer(testCore().core, { logger: false, files });
  const readSoFar = () => Number(/^rchar: (\d+)$/m.exec(readFileSync("/proc/self/io", "utf8"))![1]);
  const before = readSoFar();
  for (const headers of [{}, { range: "bytes=5-" }]) {
    const r = await http.inject({ method: "HEAD", url: "/tftp/big.bin", headers });
    assert.equal(r.body, "");
    assert.ok([200, 206].includes(r.statusCode));
    assert.equal(Number(r.headers["content-length"]), 40 * 1024 * 1024 - ("range" in headers ? 5 : 0));
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(readSoFar() - before < 4 * 1024 * 1024, `${readSoFar() - before} bytes read`);
});
