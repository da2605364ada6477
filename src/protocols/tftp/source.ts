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
