import type { FileHandle } from "node:fs/promises";

const CHUNK = 256 * 1024;

/**
 * Reads a large file in 256 KiB chunks and keeps the next one loading ahead, so a transfer gets almost
 * every block synchronously from memory instead of waiting for the thread pool per block. It holds at most
 * the chunks of the current read plus the one ahead: a fixed amount per transfer, whatever the file's size.
 */
export class ChunkedReader {
  private readonly chunks = new Map<number, Buffer | Promise<Buffer>>();

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
    for (const i of this.chunks.keys()) if (i < first || i > last + 1) this.chunks.delete(i);
    // A failed read ahead is not an error yet: the read that needs the chunk loads it again and reports it.
    if ((last + 1) * CHUNK < this.size)
      Promise.resolve(this.load(last + 1)).catch(() => this.chunks.delete(last + 1));
    const parts = [];
    for (let i = first; i <= last; i++) parts.push(this.load(i));
    const slice = (bufs: Buffer[]) => {
      const joined = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
      return joined.subarray(offset - first * CHUNK, end - first * CHUNK);
    };
    if (parts.every((p): p is Buffer => Buffer.isBuffer(p))) return slice(parts);
    return Promise.all(parts).then(slice);
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
