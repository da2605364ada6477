import { closeSync, fsyncSync, openSync } from "node:fs";
import { open, rename, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import { createGunzip, createGzip } from "node:zlib";
import { crc32 } from "./crc32.js";
import { EnforcerError } from "../domain/errors.js";
import { PRIVATE_FILE } from "./file-modes.js";

/** Gets each record of a snapshot as it is read: the reader keeps no other copy of the data. */
export type RecordSink = (collection: string, id: string, value: unknown) => void;

/** The collections to write, each a map frozen at the moment of the snapshot (values are immutable). */
export type SnapshotData = ReadonlyMap<string, ReadonlyMap<string, unknown>>;

/**
 * Version 2: gzipped (level 1), one line per record so that neither a write nor a read ever holds the whole
 * text: a head `{"version":2,"gen":N}`, then `["collection","id",value]` per record, then `{"end":count}`.
 * The one checksum is gzip's own CRC-32 of the whole text (its trailer, checked as the stream ends): a CRC per
 * line made the file 23 % larger (eight random digits per record do not compress). The end line tells a
 * whole snapshot from a cut one even before the trailer.
 */
export function* snapshotLines(gen: number, data: SnapshotData): Generator<string> {
  yield `${JSON.stringify({ version: 2, gen })}\n`;
  let count = 0;
  // Lines are handed on in batches of ~64 KiB: one gzip write per record would cost more than the record.
  let batch = "";
  for (const [collection, m] of data)
    for (const [id, value] of m) {
      batch += `${JSON.stringify([collection, id, value])}\n`;
      count++;
      if (batch.length >= 65536) {
        yield batch;
        batch = "";
      }
    }
  yield `${batch}${JSON.stringify({ end: count })}\n`;
}

/**
 * Writes a snapshot to a temporary file as it is compressed, fsyncs it, renames it over `path` and fsyncs the
 * directory: a crash at any step leaves the old snapshot or the new one, never a mix.
 */
export async function writeSnapshot(path: string, gen: number, data: SnapshotData): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, "w", PRIVATE_FILE);
  try {
    await fh.chmod(PRIVATE_FILE); // a temporary file left by a crash keeps its old mode otherwise
    await pipeline(Readable.from(snapshotLines(gen, data)), createGzip({ level: 1 }), toFile(fh));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dirFd = openSync(join(path, ".."), "r");
  try {
    fsyncSync(dirFd); // makes the rename itself durable
  } finally {
    closeSync(dirFd);
  }
}

function toFile(fh: FileHandle) {
  return async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) await fh.write(chunk);
  };
}

/**
 * Reads the snapshot at `path` record by record into `sink` and returns its generation, or undefined when
 * there is none. Opens all three formats: version 2 (above), version 1 (one `CRC SP JSON` line of the whole
 * store, gzipped or, older, plain). Any damage (a CRC, a cut or broken gzip stream, a missing end) is
 * ENF_ERR_STORE_CORRUPT.
 */
export async function readSnapshot(path: string, sink: RecordSink): Promise<number | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new EnforcerError("ENF_ERR_STORE_IO", `cannot read ${path}: ${(err as Error).message}`);
  }
  const magic = Buffer.alloc(2);
  await fh.read(magic, 0, 2, 0).catch(() => {}); // an unreadable file fails below, with its reason
  const gzipped = magic[0] === 0x1f && magic[1] === 0x8b;
  const reader = new SnapshotReader(path, sink, gzipped);
  try {
    const bytes = fh.createReadStream({ start: 0, autoClose: false });
    if (gzipped) await pipeline(bytes, createGunzip(), reader.consume);
    else await pipeline(bytes, reader.consume);
    return reader.finish();
  } catch (err) {
    // The pipeline may report its own abort in place of the error that stopped it: the reader's comes first.
    if (reader.failure) throw reader.failure;
    if (err instanceof EnforcerError) throw err;
    // zlib's errors (Z_DATA_ERROR, Z_BUF_ERROR for a cut stream) are damage like a failed CRC.
    if (/^Z_/.test(String((err as NodeJS.ErrnoException).code))) throw reader.corrupt();
    throw new EnforcerError("ENF_ERR_STORE_IO", `cannot read ${path}: ${(err as Error).message}`);
  } finally {
    await fh.close();
  }
}

/** A snapshot's first line: version 1 holds the whole store in `data`. */
interface Head {
  version: number;
  gen: number;
  data?: unknown;
}

/** Splits the inflated bytes into lines and checks each as it comes; holds one line at a time. */
class SnapshotReader {
  /** The start of a line whose LF has not come yet (a version 1 snapshot is one line of megabytes). */
  private rest = "";
  private readonly decoder = new StringDecoder("utf8");
  private gen: number | undefined;
  private count = 0;
  private ended = false;
  private v1 = false;
  /** The damage found, kept here because a pipeline may reject with an AbortError instead. */
  failure: EnforcerError | undefined;

  constructor(
    private readonly path: string,
    private readonly sink: RecordSink,
    private readonly gzipped: boolean,
  ) {}

  readonly consume = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) {
      // The decoder keeps a character cut between chunks; V8 joins the pieces of a long line without copying.
      const text = this.rest + this.decoder.write(chunk);
      let from = 0;
      for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", from)) {
        this.line(text.slice(from, nl));
        from = nl + 1;
      }
      this.rest = text.slice(from);
    }
  };

  finish(): number {
    // A plain version 1 snapshot may lack its last LF.
    const last = this.rest + this.decoder.end();
    if (this.gen === undefined && last.length > 0) this.line(last);
    else if (last.length > 0) throw this.corrupt();
    if (this.gen === undefined || (!this.v1 && !this.ended)) throw this.corrupt();
    return this.gen;
  }

  corrupt(): EnforcerError {
    return (this.failure ??= new EnforcerError(
      "ENF_ERR_STORE_CORRUPT",
      `${this.path} fails its checksum; restore it from a backup (docs/store.md) — it is only ever replaced by an atomic rename`,
      { path: this.path },
    ));
  }

  private line(text: string): void {
    if (this.ended || this.v1) throw this.corrupt(); // nothing follows the end line; version 1 is one line
    // Version 1's line carries its own CRC; version 2 relies on gzip's, so it is taken only from a gzip stream.
    const v1 = this.gen === undefined && !text.startsWith("{");
    if (v1 && (text[8] !== " " || crc32(text.slice(9)).toString(16).padStart(8, "0") !== text.slice(0, 8)))
      throw this.corrupt();
    const value = this.parse(v1 ? text.slice(9) : text);
    if (this.gen === undefined) return this.head(value as Head, v1);
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      typeof value[0] === "string" &&
      typeof value[1] === "string"
    ) {
      this.sink(value[0], value[1], value[2]);
      this.count++;
      return;
    }
    if ((value as { end?: unknown }).end !== this.count) throw this.corrupt();
    this.ended = true;
  }

  private parse(json: string): object {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      throw this.corrupt();
    }
    if (value === null || typeof value !== "object") throw this.corrupt();
    return value;
  }

  private head(head: Head, v1: boolean): void {
    if (typeof head.gen !== "number" || head.version !== (v1 ? 1 : 2) || (!v1 && !this.gzipped))
      throw this.corrupt();
    this.gen = head.gen;
    if (!v1) return;
    this.v1 = true;
    const data = head.data as Record<string, Record<string, unknown>>;
    for (const [collection, entries] of Object.entries(data))
      for (const [id, value] of Object.entries(entries)) this.sink(collection, id, value);
  }
}
