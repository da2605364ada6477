import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { netasciiSize, netasciiSource, toNetascii } from "./netascii.js";
import { bufferSource, type BlockSource } from "./source.js";

/** RFC 1350, byte by byte: the reference the streaming conversion is checked against. */
function reference(b: Buffer): Buffer {
  const out: number[] = [];
  for (const c of b) {
    if (c === 0x0a) out.push(0x0d, 0x0a);
    else if (c === 0x0d) out.push(0x0d, 0x00);
    else out.push(c);
  }
  return Buffer.from(out);
}

/** A source that answers with promises, in small pieces, as a disk read can; and counts what it holds out. */
function slowSource(buf: Buffer): BlockSource & { largestRead: number } {
  const s = {
    size: buf.length,
    largestRead: 0,
    read: (o: number, l: number) => {
      s.largestRead = Math.max(s.largestRead, l);
      return Promise.resolve(buf.subarray(o, o + Math.min(l, 3000)));
    },
  };
  return s;
}

// Bytes rich in the two characters netascii changes.
const text = fc
  .array(fc.constantFrom(0x0a, 0x0d, 0x41, 0x00, 0xff, 0x20), { maxLength: 20_000 })
  .map((a) => Buffer.from(a));

test("toNetascii and netasciiSize agree with the reference", async () => {
  assert.deepEqual(toNetascii(Buffer.from("a\nb\r\nc\rd")), Buffer.from("a\r\nb\r\0\r\nc\r\0d", "latin1"));
  await fc.assert(
    fc.asyncProperty(text, async (b) => {
      assert.deepEqual(toNetascii(b), reference(b));
      assert.equal(await netasciiSize(bufferSource(b)), reference(b).length);
    }),
    { numRuns: 100 },
  );
});

test("the streamed form read as a TFTP sender reads (windows, resends from the base) is the reference", async () => {
  await fc.assert(
    fc.asyncProperty(
      text,
      fc.constantFrom(8, 512, 1468),
      fc.integer({ min: 1, max: 16 }),
      fc.array(fc.nat({ max: 20 }), { maxLength: 400 }),
      fc.boolean(),
      async (b, blksize, window, acks, slow) => {
        const inner = slow ? slowSource(b) : bufferSource(b);
        const expected = reference(b);
        const src = netasciiSource(inner, await netasciiSize(inner));
        assert.equal(src.size, expected.length);
        const blocks = Math.floor(src.size / blksize) + 1;
        let base = 1;
        // Each step reads a window at the base; the "ACK" moves the base forward by 0..window blocks
        // (0 is a timeout: the same window again).
        for (const a of [...acks, ...Array<number>(blocks).fill(window)]) {
          if (base > blocks) break;
          const to = Math.min(blocks, base + window - 1);
          const got = await src.read((base - 1) * blksize, (to - base + 1) * blksize);
          const want = expected.subarray((base - 1) * blksize, to * blksize);
          assert.ok(got.equals(want), `window ${base}-${to}`);
          base += Math.min(a % (window + 1), to - base + 1);
        }
      },
    ),
    { numRuns: 150 },
  );
});

test("a read behind the window is an error, not wrong bytes", async () => {
  const src = netasciiSource(bufferSource(Buffer.from("a\n".repeat(1000))), 3000);
  await src.read(1024, 512);
  assert.throws(() => src.read(512, 512), /behind the window/);
});

test("a file that shrank after its size was measured ends the transfer with an error", async () => {
  const src = netasciiSource(bufferSource(Buffer.from("short")), 100);
  assert.throws(() => src.read(0, 512), /ended at 5 of 100/);
});

test("reads that overlap an input read under way wait for it: no piece is converted twice", async () => {
  const b = Buffer.from("line\n".repeat(50_000));
  const expected = reference(b);
  const src = netasciiSource(slowSource(b), expected.length);
  // A resend of the window at 0 and the next window, asked for before the first has its bytes.
  const [first, again, next] = await Promise.all([
    src.read(0, 8192),
    src.read(0, 8192),
    src.read(8192, 8192),
  ]);
  assert.ok(first.equals(expected.subarray(0, 8192)));
  assert.ok(again.equals(expected.subarray(0, 8192)));
  assert.ok(next.equals(expected.subarray(8192, 16384)));
});
