import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { after, test } from "node:test";
import { largeStreams, streamChunks } from "./stream-chunks.js";

const dir = mkdtempSync(join(tmpdir(), "enforcer-stream-chunks-"));
const big = randomBytes(3 * 1024 * 1024 + 123);
writeFileSync(join(dir, "big.bin"), big);
writeFileSync(join(dir, "small.bin"), big.subarray(0, 200_000));
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(s: NodeJS.ReadableStream): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return parts;
}

test("a large range streams its exact bytes in 512 KiB reads, a small file in 64 KiB reads", async () => {
  const parts = await collect(streamChunks(await open(join(dir, "big.bin")), 100, big.length - 7));
  assert.ok(Buffer.concat(parts).equals(big.subarray(100, big.length - 7)));
  assert.equal(parts[0]!.length, 512 * 1024);
  const small = await collect(streamChunks(await open(join(dir, "small.bin")), 0, 200_000));
  assert.ok(Buffer.concat(small).equals(big.subarray(0, 200_000)));
  assert.equal(Math.max(...small.map((p) => p.length)), 64 * 1024);
  assert.equal(largeStreams(), 0, "finished streams give their place back");
});

test("past 64 large streams at once the rest read 64 KiB; clients that go away give their places back", async () => {
  const streams = [];
  for (let i = 0; i < 70; i++) streams.push(streamChunks(await open(join(dir, "big.bin")), 0, big.length));
  assert.equal(largeStreams(), 64);
  assert.deepEqual(
    [streams[0]!.readableHighWaterMark, streams[69]!.readableHighWaterMark],
    [512 * 1024, 64 * 1024],
  );
  // A client gone mid-download: its response destroys the stream, which closes the file.
  const closed = streams.map((s) => once(s, "close"));
  for (const s of streams) s.destroy();
  await Promise.all(closed);
  assert.equal(largeStreams(), 0);
  const next = streamChunks(await open(join(dir, "big.bin")), 0, big.length);
  assert.equal(next.readableHighWaterMark, 512 * 1024, "a new download reads large chunks again");
  next.destroy();
  await once(next, "close");
});
