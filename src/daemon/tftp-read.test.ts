// A flood of netascii requests for a large file, sent before its converted size was first measured, each
// counted the whole file again, and a request whose slot a newer one took went on counting: 3,000 RRQs
// (0.2 s) for a 40 MB file in the TFTP root held 500 file descriptors, took RSS from 110 to 587 MB and
// kept a core busy for 40 s. Concurrent first requests for one file version now share one pass, and a
// request that loses its slot closes its file at once.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import type { BootFile, BootFiles } from "../files/boot-files.js";
import { bootFileReader } from "./tftp-read.js";

/** A fake namespace with one disk-like file whose reads are slow and counted. */
function slowFiles(size: number) {
  const stats = { reads: 0, open: 0, opened: 0 };
  const files: Pick<BootFiles, "open"> = {
    open: async (): Promise<BootFile> => {
      stats.open++;
      stats.opened++;
      let closed = false;
      return {
        ok: true,
        name: "big.txt",
        size,
        version: "big.txt\0v1",
        read: async (offset, length) => {
          stats.reads++;
          await new Promise((r) => setTimeout(r, 2));
          return Buffer.alloc(Math.max(0, Math.min(length, size - offset)), 0x0a);
        },
        stream: () => Readable.from([]),
        close: () => {
          if (!closed) stats.open--;
          closed = true;
        },
      };
    },
  };
  return { files, stats };
}

test("concurrent first netascii requests for one file share one counting pass", async () => {
  const { files, stats } = slowFiles(4 * 256 * 1024);
  const read = bootFileReader(files);
  const results = await Promise.all(
    Array.from({ length: 20 }, () => read(Buffer.from("big.txt"), "netascii", new AbortController().signal)),
  );
  for (const r of results) {
    assert.ok(r.ok);
    assert.equal(r.source.size, 2 * 4 * 256 * 1024);
    r.source.close?.();
  }
  // One pass of 4 slices, not 20 of them.
  assert.ok(stats.reads <= 5, `${stats.reads} reads`);
  assert.equal(stats.open, 0, "every file was closed");
});

test("a request that loses its slot while the size is measured closes its file at once", async () => {
  const { files, stats } = slowFiles(64 * 256 * 1024);
  const read = bootFileReader(files);
  const waiting = Array.from({ length: 10 }, () => {
    const c = new AbortController();
    return { c, r: read(Buffer.from("big.txt"), "netascii", c.signal) };
  });
  await new Promise((r) => setTimeout(r, 20));
  for (const w of waiting) w.c.abort();
  const results = await Promise.race([
    Promise.all(waiting.map((w) => w.r)),
    new Promise<"still counting">((r) => setTimeout(() => r("still counting"), 60)),
  ]);
  assert.notEqual(results, "still counting", "aborted requests returned before the pass ended");
  for (const r of results as Awaited<(typeof waiting)[0]["r"]>[]) assert.equal(r.ok, false);
  // Only the pass's own handle is still open.
  assert.ok(stats.open <= 1, `${stats.open} files open`);
});
