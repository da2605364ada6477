import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ChunkedReader } from "./chunked-reader.js";

const CHUNK = 256 * 1024;

async function withFile(size: number, fn: (r: ChunkedReader, data: Buffer, path: string) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-chunked-"));
  const path = join(dir, "f.bin");
  const data = randomBytes(size);
  writeFileSync(path, data);
  const reader = new ChunkedReader(await open(path), size);
  try {
    await fn(reader, data, path);
  } finally {
    reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test("windows inside and across chunks return the file's bytes; a loaded chunk answers synchronously", async () => {
  await withFile(3 * CHUNK + 1000, async (r, data) => {
    const window = 1468 * 16;
    for (let offset = 0; offset < data.length; offset += window) {
      const got = await r.read(offset, window);
      assert.ok(got.equals(data.subarray(offset, offset + window)), `window at ${offset}`);
    }
    // After the first load, a read in the same chunk needs no await.
    assert.ok(Buffer.isBuffer(r.read(3 * CHUNK + 10, 100)));
  });
});

test("the next chunk loads ahead: the read that crosses into it is synchronous", async () => {
  await withFile(2 * CHUNK + 5, async (r, data) => {
    await r.read(0, 1468);
    await new Promise((res) => setTimeout(res, 50)); // the read ahead of chunk 1 finishes
    const across = r.read(CHUNK - 700, 1468 * 4);
    assert.ok(Buffer.isBuffer(across), "chunk 1 was not loaded ahead");
    assert.ok(across.equals(data.subarray(CHUNK - 700, CHUNK - 700 + 1468 * 4)));
    // A resend from an earlier block (a timeout) still gets the right bytes.
    assert.ok((await r.read(100, 512)).equals(data.subarray(100, 612)));
    assert.equal((await r.read(2 * CHUNK, 1468)).length, 5, "short only at the end");
  });
});

test("a file that shrank under the reader fails the read instead of answering a short block", async () => {
  await withFile(3 * CHUNK, async (r, _data, path) => {
    await r.read(0, 1468);
    truncateSync(path, CHUNK + 10);
    await assert.rejects(Promise.resolve(r.read(2 * CHUNK + 100, 1468)), /the file shrank/);
  });
});
