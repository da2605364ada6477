import { createHash } from "node:crypto";
import { existsSync, realpathSync } from "node:fs";
import { open, realpath, type FileHandle } from "node:fs/promises";
import { join, sep } from "node:path";
import { Readable } from "node:stream";
import { checkName } from "./boot-file-name.js";
import { ChunkedReader } from "./chunked-reader.js";
import { streamChunks } from "./stream-chunks.js";

/**
 * A file found for a request: its bytes (small files, cached) or an open handle to read ranges from. Use
 * either `read` (TFTP) or `stream` (HTTP), then `close` once: both hold at most a fixed amount in memory.
 */
export type BootFile =
  | {
      ok: true;
      name: string;
      size: number;
      /** Identifies this content (path, mtime, size): equal versions have equal bytes. */
      version: string;
      /** The whole file, when it is in memory anyway (generated or cached). */
      data?: Buffer;
      read: (offset: number, length: number) => Promise<Buffer> | Buffer;
      /** Bytes [start, end) as a stream that reads from disk as it is consumed. */
      stream: (start: number, end: number) => Readable;
      close: () => void;
    }
  | { ok: false; code: 1 | 2; message: string };

/** Names Debian's `ipxe` package installs that Enforcer serves by default. */
export const DEBIAN_LOADERS = ["undionly.kpxe", "undionly.kkpxe", "ipxe.efi", "snponly.efi", "ipxe.pxe"];
const DEBIAN_IPXE_DIR = "/usr/lib/ipxe";

/** Files up to this size are kept in memory: loaders are fetched by many machines at once. */
const CACHE_FILE_LIMIT = 16 * 1024 * 1024;
/** All cached files together; loads under way count too, so no burst of requests can go past it. */
const CACHE_TOTAL_LIMIT = 64 * 1024 * 1024;

/** Options: generated files (boot.ipxe), an operator's root, and named loaders resolved at start. */
export interface BootFilesOptions {
  generated: (name: string) => Buffer | undefined;
  root?: string;
  loaders?: ReadonlyMap<string, string>;
}

/**
 * The boot file namespace shared by TFTP and HTTP: generated scripts first, then the TFTP root (never a
 * byte outside it: symlinks are resolved and checked), then the iPXE loaders found at start.
 */
export class BootFiles {
  private readonly realRoot?: string;
  private readonly cache = new Map<string, { mtimeMs: number; data: Buffer }>();
  private cached = 0;
  /** Loads into the cache under way, by path: concurrent requests for one file share one load. */
  private readonly loading = new Map<string, { mtimeMs: number; size: number; data: Promise<Buffer> }>();
  private loadingBytes = 0;

  constructor(private readonly opts: BootFilesOptions) {
    this.realRoot = opts.root ? realpathSync(opts.root) : undefined;
  }

  /** The loader map for Debian's ipxe package, when it is installed (links resolved once, here). */
  static debianLoaders(dir = DEBIAN_IPXE_DIR): Map<string, string> {
    const m = new Map<string, string>();
    for (const name of DEBIAN_LOADERS) {
      const p = join(dir, name);
      if (existsSync(p)) m.set(name, realpathSync(p));
    }
    return m;
  }

  /** Looks a requested name up; every refusal has a TFTP error code and a precise message. */
  async open(raw: Buffer | string): Promise<BootFile> {
    const check = checkName(raw);
    if (!check.ok) return check;
    const generated = this.opts.generated(check.name);
    // A generated file changes with the settings (boot.ipxe): its version is its content's hash.
    if (generated) return memoryFile(check.name, generated, `generated:${sha1(generated)}`);
    if (this.realRoot) {
      const found = await this.fromRoot(check.name, check.segments);
      if (found) return found;
    }
    const loader = this.opts.loaders?.get(check.name);
    if (loader) return this.openPath(check.name, loader);
    return { ok: false, code: 1, message: `file not found: ${check.name}` };
  }

  /** The file under the root, a refusal, or undefined when the root has no such name (try the loaders). */
  private async fromRoot(name: string, segments: string[]): Promise<BootFile | undefined> {
    let real: string;
    try {
      real = await realpath(join(this.realRoot!, ...segments));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EACCES")
        return { ok: false, code: 2, message: `access violation: ${name} is not readable` };
      return undefined;
    }
    if (real !== this.realRoot && !real.startsWith(this.realRoot + sep)) {
      return { ok: false, code: 2, message: `access violation: ${name} leads outside the TFTP root` };
    }
    return this.openPath(name, real);
  }

  private async openPath(name: string, path: string): Promise<BootFile> {
    let fh;
    try {
      fh = await open(path, "r");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === "ENOENT"
        ? { ok: false, code: 1, message: `file not found: ${name}` }
        : { ok: false, code: 2, message: `access violation: ${name} cannot be opened (${code})` };
    }
    const st = await fh.stat();
    if (!st.isFile()) {
      await fh.close();
      return { ok: false, code: 1, message: `file not found: ${name} is not a regular file` };
    }
    const version = `${path}\0${st.mtimeMs}\0${st.size}`;
    if (st.size <= CACHE_FILE_LIMIT) {
      const hit = this.cache.get(path);
      if (hit && hit.mtimeMs === st.mtimeMs && hit.data.length === st.size) {
        await fh.close();
        this.cache.delete(path); // re-insert: the map's order is the eviction order
        this.cache.set(path, hit);
        return memoryFile(name, hit.data, version);
      }
      const data = await this.load(path, fh, st.mtimeMs, st.size);
      if (data) return memoryFile(name, data, version);
      // The cache's budget is taken by loads under way: serve this one from disk, in bounded chunks.
    }
    return diskFile(name, path, fh, st.size, version);
  }

  /**
   * Reads a small file into the cache, sharing a load already under way for the same version. Answers
   * undefined (and leaves `fh` open) when the load would take the cache past its budget.
   */
  private async load(
    path: string,
    fh: FileHandle,
    mtimeMs: number,
    size: number,
  ): Promise<Buffer | undefined> {
    const busy = this.loading.get(path);
    if (busy && busy.mtimeMs === mtimeMs && busy.size === size) {
      const data = await busy.data.catch(() => undefined);
      if (data) await fh.close();
      return data;
    }
    if (busy || this.loadingBytes + size > CACHE_TOTAL_LIMIT) return undefined;
    const data = fh.readFile();
    this.loading.set(path, { mtimeMs, size, data });
    this.loadingBytes += size;
    try {
      const bytes = await data;
      this.remember(path, mtimeMs, bytes);
      return bytes;
    } finally {
      this.loading.delete(path);
      this.loadingBytes -= size;
      await fh.close();
    }
  }

  private remember(path: string, mtimeMs: number, data: Buffer): void {
    const old = this.cache.get(path);
    if (old) this.cached -= old.data.length;
    this.cache.set(path, { mtimeMs, data });
    this.cached += data.length;
    for (const [key, v] of this.cache) {
      if (this.cached <= CACHE_TOTAL_LIMIT) break;
      this.cache.delete(key);
      this.cached -= v.data.length;
    }
  }
}

/** A file served from memory (generated, cached or rendered per request). */
export function memoryFile(name: string, data: Buffer, version: string): BootFile {
  return {
    ok: true,
    name,
    size: data.length,
    version,
    data,
    read: (o, l) => data.subarray(o, o + l),
    stream: (start, end) => Readable.from([data.subarray(start, end)]),
    close: () => {},
  };
}

/** A file read from disk as it is used: a chunked reader for TFTP, or a file stream for HTTP. */
export function diskFile(
  name: string,
  path: string,
  fh: FileHandle,
  size: number,
  version: string,
): BootFile {
  const reader = new ChunkedReader(fh, size);
  let streaming = false;
  return {
    ok: true,
    name,
    size,
    version,
    read: (o, l) => reader.read(o, l),
    stream: (start, end) => {
      streaming = true;
      // The stream owns the handle from here on and closes it when it ends or is destroyed.
      if (end <= start) {
        reader.close();
        return Readable.from([]);
      }
      return streamChunks(fh, start, end);
    },
    close: () => {
      if (!streaming) reader.close();
    },
  };
}

function sha1(data: Buffer): string {
  return createHash("sha1").update(data).digest("hex");
}
