/** What a read handler returns: the bytes to serve, or a TFTP error for the client. */
export type ReadResult = { ok: true; source: BlockSource } | { ok: false; code: number; message: string };

/** A file to serve: its size and a way to read any range of it. */
export interface BlockSource {
  size: number;
  /** Bytes [offset, offset+length), shorter only at the end of the file. */
  read(offset: number, length: number): Buffer | Promise<Buffer>;
  /** Called once the transfer is over, to release a file handle. */
  close?(): void;
}

/** A source over bytes already in memory (generated scripts, cached loaders). */
export function bufferSource(buf: Buffer): BlockSource {
  return { size: buf.length, read: (offset, length) => buf.subarray(offset, offset + length) };
}

/** RFC 1350 netascii: every line ends in CR LF, and a bare CR is sent as CR NUL. */
export function toNetascii(buf: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === 0x0a) out.push(0x0d, 0x0a);
    else if (c === 0x0d) out.push(0x0d, 0x00);
    else out.push(c);
  }
  return Buffer.from(out);
}
