import type { FileHandle } from "node:fs/promises";

const CHUNK = 256 * 1024;

/**
 * Reads a large file in 256 KiB chunks and keeps the next one loading ahead, so a transfer gets almost
 * every block synchronously from memory instead of waiting for the thread pool per block. It holds at most
 * the chunks of the current read plus the one ahead: a fixed amount per transfer, whatever the file's size.
 */
export class ChunkedReader {
  private readonly chunks = new Map<number, Buffer | Promise<Buffer>>();
  /** The chunks the last read covered. */
  private first = -1;
  private last = -1;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  /** Bytes [offset, offset+length), synchronously when loaded; rejects if the file is now shorter than `size`. */
  read(offset: number, length: number): Buffer | Promise<Buffer> {
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return Buffer.alloc(0);
    const first = Math.floor(offset / CHUNK);
    const last = Math.floor((end - 1) / CHUNK);
    // Called once per window (per block in lock-step): the bookkeeping runs only when the range moves to
    // other chunks, and the read ahead is started once per chunk, not once per call (profiled: a promise
    // and a catch handler per block).
    if (first !== this.first || last !== this.last) {
      this.first = first;
      this.last = last;
      for (const i of this.chunks.keys()) if (i < first || i > last + 1) this.chunks.delete(i);
      // A failed read ahead is not an error yet: the read that needs the chunk loads it again and reports it.
      if ((last + 1) * CHUNK < this.size && !this.chunks.has(last + 1)) {
        const ahead = this.load(last + 1);
        if (!Buffer.isBuffer(ahead)) ahead.catch(() => this.chunks.delete(last + 1));
      }
    }
    if (first === last) {
      const chunk = this.load(first);
      const from = offset - first * CHUNK;
      const to = end - first * CHUNK;
      return Buffer.isBuffer(chunk) ? chunk.subarray(from, to) : chunk.then((c) => c.subarray(from, to));
    }
    // Across chunks: only the bytes asked for are copied (joining the whole chunks copied 512 KiB for
    // every window that crossed a chunk's end).
    const parts: (Buffer | Promise<Buffer>)[] = [];
    for (let i = first; i <= last; i++) parts.push(this.load(i));
    const join = (bufs: Buffer[]) =>
      Buffer.concat(
        bufs.map((b, k) =>
          b.subarray(
            k === 0 ? offset - first * CHUNK : 0,
            k === bufs.length - 1 ? end - last * CHUNK : b.length,
          ),
        ),
        end - offset,
      );
    if (parts.every((p): p is Buffer => Buffer.isBuffer(p))) return join(parts);
    return Promise.all(parts).then(join);
  }

  /** Closes the file (once; a failing close has nothing left to release). */
  close(): void {
    this.chunks.clear();
    this.fh.close().catch(() => {});
  }

  private load(i: number): Buffer | Promise<Buffer> {
    const have = this.chunks.get(i);
    if (have) return have;
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, this.size - i * CHUNK));
    const p = this.fh.read(buf, 0, buf.length, i * CHUNK).then(({ bytesRead }) => {
      // Short before the size the transfer announced: the file was truncated or rewritten in place. A
      // short block would end a TFTP transfer early, and the client would boot half a file.
      if (bytesRead < buf.length)
        throw new Error(`the file shrank while it was read: ${i * CHUNK + bytesRead} of ${this.size} bytes`);
      if (this.chunks.get(i) === p) this.chunks.set(i, buf);
      return buf;
    });
    this.chunks.set(i, p);
    return p;
  }
}
