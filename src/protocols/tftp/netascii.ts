import type { BlockSource } from "./source.js";

/**
 * RFC 1350 netascii, converted while streaming: every line ends in CR LF and a bare CR is sent as CR NUL.
 * A transfer holds only the converted bytes from the lowest block it may still have to resend (its window)
 * plus one converted step, never the whole file: memory per transfer is fixed, whatever the file's size.
 */

/** Input bytes converted per step: its output (at most twice as large) is the only extra memory held. */
const STEP = 64 * 1024;
/** Input bytes counted per turn of the event loop when measuring the converted size. */
const COUNT_SLICE = 256 * 1024;

/** Converts one piece; pieces can be cut anywhere, since each input byte converts on its own. */
export function toNetascii(buf: Buffer): Buffer {
  const out = Buffer.allocUnsafe(buf.length * 2);
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === 0x0a) {
      out[n++] = 0x0d;
      out[n++] = 0x0a;
    } else if (c === 0x0d) {
      out[n++] = 0x0d;
      out[n++] = 0x00;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

/** How many bytes the netascii form of `buf` has: one more for each LF and each CR. */
export function netasciiGrowth(buf: Buffer): number {
  let extra = 0;
  for (const byte of [0x0a, 0x0d])
    for (let i = buf.indexOf(byte); i >= 0; i = buf.indexOf(byte, i + 1)) extra++;
  return extra;
}

/**
 * The size of the netascii form of `source`, measured by one streaming pass in bounded slices, yielding to
 * the event loop between slices so that a large file never stalls other requests.
 */
export async function netasciiSize(source: BlockSource): Promise<number> {
  let size = source.size;
  for (let offset = 0; offset < source.size; offset += COUNT_SLICE) {
    const slice = await source.read(offset, COUNT_SLICE);
    if (slice.length === 0) break;
    size += netasciiGrowth(slice);
    await new Promise((res) => setImmediate(res));
  }
  return size;
}

/**
 * A source serving the netascii form of `inner`, whose converted size is `size` (from `netasciiSize`).
 * Reads must not go back before the previous read's offset: a TFTP sender only ever resends from the lowest
 * unacknowledged block, which never moves back, so everything before it is dropped.
 */
export function netasciiSource(inner: BlockSource, size: number): BlockSource {
  let kept: Buffer = Buffer.alloc(0); // converted bytes [keptFrom, keptFrom + kept.length)
  let keptFrom = 0;
  let inPos = 0; // input bytes converted so far
  // An input read under way: reads that come meanwhile wait for it, in order, so that no piece is read
  // twice and no read sees the window move under it.
  let loading: Promise<void> | undefined;

  const read = (offset: number, length: number): Buffer | Promise<Buffer> => {
    if (loading) return loading.then(() => read(offset, length));
    if (offset < keptFrom) throw new Error(`netascii read at ${offset} is behind the window at ${keptFrom}`);
    const end = Math.min(size, offset + length);
    dropBefore(offset);
    while (keptFrom + kept.length < end && inPos < inner.size) {
      const piece = inner.read(inPos, STEP);
      if (!Buffer.isBuffer(piece)) {
        const load: Promise<void> = piece.then(append).finally(() => {
          if (loading === load) loading = undefined;
        });
        loading = load;
        return load.then(() => read(offset, length));
      }
      append(piece);
      dropBefore(offset);
    }
    if (keptFrom + kept.length < end)
      throw new Error(`netascii form ended at ${keptFrom + kept.length} of ${size} bytes (file changed?)`);
    return kept.subarray(offset - keptFrom, end - keptFrom);
  };

  const dropBefore = (offset: number) => {
    const cut = Math.min(kept.length, offset - keptFrom);
    if (cut <= 0) return;
    kept = kept.subarray(cut);
    keptFrom += cut;
  };

  const append = (piece: Buffer) => {
    if (piece.length === 0) throw new Error(`netascii input ended early at ${inPos} of ${inner.size} bytes`);
    inPos += piece.length;
    const converted = toNetascii(piece);
    // Copying what is kept is bounded by the window: the only growth is one converted step.
    kept = kept.length === 0 ? converted : Buffer.concat([kept, converted]);
  };

  return { size, read, close: () => inner.close?.() };
}
