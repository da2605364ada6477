import type { FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";

/** The read size of an HTTP file stream by default: what a slow or stalled client holds (twice: read, queued). */
const SMALL_CHUNK = 64 * 1024;
/**
 * The read size of a large download while few run: an eighth of the reads, 20-40% less CPU per GB than
 * 64 KiB and 1.1-1.7x the throughput with wrk through Enforcer (same-run A/Bs, docs/benchmarks.md).
 */
const LARGE_CHUNK = 512 * 1024;
/** A file this large or more streams in large chunks (kernels, initrds, images), a budget permitting. */
const LARGE_FILE = 1 << 20;
/**
 * At most this many streams read in large chunks at once: two chunks each, 64 MiB, and measured with 32
 * downloads about 2-3 MiB of RSS each until collected (against about 1 MiB at 64 KiB).
 */
const LARGE_STREAMS = 64;

let large = 0;

/**
 * Streams bytes [start, end) of an open file; owns the handle from here on and closes it when the stream
 * ends or is destroyed. Large ranges read 512 KiB at a time while fewer than 64 such streams run (the
 * budget bounds what thousands of stalled clients hold), every other stream 64 KiB at a time.
 */
export function streamChunks(fh: FileHandle, start: number, end: number): Readable {
  const big = end - start >= LARGE_FILE && large < LARGE_STREAMS;
  const s = fh.createReadStream({
    start,
    end: end - 1,
    highWaterMark: big ? LARGE_CHUNK : SMALL_CHUNK,
    autoClose: true,
  });
  if (big) {
    large++;
    // 'close' comes once, at the end, on an error or when the client goes away (the stream is destroyed).
    s.once("close", () => large--);
  }
  return s;
}

/** How many streams read in large chunks now (for tests: every stream gives its place back). */
export function largeStreams(): number {
  return large;
}
