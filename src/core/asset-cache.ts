import type { Readable } from "node:stream";
import { EnforcerError } from "../domain/errors.js";
import { mirrorSha256 } from "./asset-checksums.js";
import type { AssetCataloguePort } from "./asset-catalogue.js";
import { AssetDisk } from "./asset-disk.js";
import { download } from "./asset-download.js";
import { checkExpect, matches, parseSource, type AssetExpect } from "./asset-expect.js";
import { assetId, assetName, assetPath, loggedSource } from "./asset-names.js";
import { writeHashed, type Written } from "./asset-write.js";
import type { Clock } from "./ports.js";

/** One cached boot file. `id` = first 16 hex chars of sha256(source); `name` = the source's last path segment, made safe ([A-Za-z0-9._-], ≤ 64, else "file"). */
export interface AssetEntry {
  id: string;
  name: string;
  /** The upstream URL, or "upload:<name>" for a file added by the operator. */
  source: string;
  size: number;
  sha256: string;
  /** "sha256": checked against a given or published checksum; "size": only its length was checked. */
  verified: "size" | "sha256";
  fetchedAt: string;
  lastUsedAt: string;
  /** "/assets/<id>/<name>": the URL path (HTTP) and file name (TFTP) it is served under. */
  path: string;
}

/** The log lines the cache writes (a pino logger fits). */
export interface AssetLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/** How the cache is built. */
export interface AssetCacheOptions {
  /** `<data>/assets`. */
  dir: string;
  /** Bytes all cached files may take together; 0 turns the cache off. */
  maxBytes: number;
  clock: Clock;
  log: AssetLog;
  /** Ids an armed config needs: never evicted, never removed. */
  inUse?: () => Set<string>;
  fetch?: typeof fetch;
  /** One download (checksum lists included) must end within this. */
  timeoutMs?: number;
  /** With a shared store: where other instances' assets come from (asset-catalogue.ts); absent, none. */
  catalogue?: AssetCataloguePort;
}

/** A download may take this long by default: 40 MB over a slow uplink, not a stalled mirror for ever. */
const DEFAULT_TIMEOUT_MS = 15 * 60_000;
/** After a failed fetch of a catalogued asset on request, requests for it answer "not found" this long. */
const FETCH_RETRY_MS = 10_000;
/** lastUsedAt is written at most this often (and at close): every boot writing it would wear an SD card. */
const FLUSH_INTERVAL_MS = 5 * 60_000;

/**
 * The boot asset cache: kernels and initrds fetched once from a mirror, checked, kept under the data
 * directory within a size cap (least recently used first out, never a file an armed config needs), and
 * served from disk over HTTP and TFTP.
 */
export class AssetCache {
  /** Ids an armed config needs; the config service fills it in (nothing by default). */
  inUse: () => Set<string>;
  private readonly disk: AssetDisk;
  private readonly entries = new Map<string, AssetEntry>();
  private readonly pending = new Map<string, Promise<AssetEntry>>();
  private readonly dirty = new Set<string>();
  private lastFlush: number;
  private bytes = 0;
  /** Commits, removals and flushes run one at a time: room is made and a file placed before the next counts. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly fetch: typeof fetch;
  /** Catalogued ids whose fetch on request failed, to when one may be tried again (bounded by the catalogue). */
  private readonly failed = new Map<string, number>();

  constructor(private readonly opts: AssetCacheOptions) {
    this.inUse = opts.inUse ?? (() => new Set());
    this.fetch = opts.fetch ?? fetch;
    this.disk = new AssetDisk(opts.dir);
    this.lastFlush = opts.clock.now().getTime();
    if (!this.enabled) return;
    for (const e of this.disk.scan((what) =>
      opts.log.warn(`asset cache: removed ${what} (no valid entry)`),
    )) {
      this.entries.set(e.id, e);
      this.bytes += e.size;
    }
  }

  /** False with `--asset-cache-size 0`: profiles' URLs are then used as they are. */
  get enabled(): boolean {
    return this.opts.maxBytes > 0;
  }

  /** Fetches `url` once (concurrent callers share one download), checks size and sha256 (given, or from the mirror's SHA256SUMS beside the file when there is one), stores it atomically, evicts LRU entries not inUse to stay under maxBytes. */
  async ensure(url: string, expect: AssetExpect = {}): Promise<AssetEntry> {
    this.checkEnabled();
    const u = parseSource(url);
    const want = checkExpect(expect);
    const id = assetId(url);
    const have = this.entries.get(id);
    if (have && matches(have, want)) return this.upgrade(this.touch(have), want);
    // Callers expecting other bytes do not share a download: one's mistyped checksum must not fail the rest.
    const key = `${id} ${want.sha256 ?? ""} ${want.size ?? ""}`;
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchOnce(id, url, u, want).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    const entry = await p;
    if (!matches(entry, want))
      throw new EnforcerError(
        "ENF_ERR_ASSET_CHECKSUM",
        `${url}: the file fetched (sha256 ${entry.sha256}, ${entry.size} bytes) is not the one expected`,
        { url, sha256: entry.sha256, size: entry.size },
      );
    return entry;
  }

  /** Adds a file given as a stream (an operator's upload); same checks and eviction. `length`, when the upload announced one, over the room is refused before a byte is read. */
  async add(name: string, body: Readable, expect: AssetExpect = {}, length?: number): Promise<AssetEntry> {
    this.checkEnabled();
    const want = checkExpect(expect);
    const source = `upload:${assetName(name)}`;
    const id = assetId(source);
    if (length !== undefined && length > this.room(id))
      throw new EnforcerError("ENF_ERR_ASSET_TOO_LARGE", this.tooLarge(source, length), { size: length });
    const tmp = this.disk.tmp(id);
    const written = await writeHashed(body, tmp, this.room(id), (n) => this.tooLarge(source, n));
    return this.commit(id, source, tmp, written, want, want.sha256 ? "sha256" : "size");
  }

  /** Entry by id or by source URL, or undefined. */
  get(idOrSource: string): AssetEntry | undefined {
    return this.entries.get(idOrSource) ?? this.entries.get(assetId(idOrSource));
  }

  /** Every entry, most recently used first. */
  list(): AssetEntry[] {
    return [...this.entries.values()].sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt));
  }

  /** Removes one; throws ENF_ERR_ASSET_IN_USE when an armed config needs it, ENF_ERR_ASSET_NOT_FOUND. */
  async remove(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) throw new EnforcerError("ENF_ERR_ASSET_NOT_FOUND", `no cached asset ${id.slice(0, 64)}`, { id });
    if (this.inUse().has(id))
      throw new EnforcerError(
        "ENF_ERR_ASSET_IN_USE",
        `asset ${id} (${e.source}) is needed by an armed config`,
        {
          id,
        },
      );
    await this.serial(() => this.drop(e));
    await this.opts.catalogue?.forget(id);
  }

  /** For serving: the absolute file path and size of a ready entry, and marks it used (lastUsedAt kept in memory, written lazily — SD cards). */
  open(id: string, name: string): { file: string; size: number } | undefined {
    const e = this.entries.get(id);
    if (!e || e.name !== name) return undefined;
    this.touch(e);
    return { file: this.disk.file(e.id, e.name), size: e.size };
  }

  /**
   * For serving on any instance: a ready entry as `open` gives it, or, for an id this instance has not
   * cached but another fetched (the shared catalogue), the file fetched now from its upstream URL and
   * checked against the catalogued sha256 and size. Undefined when neither (or the fetch failed: logged,
   * and not tried again for FETCH_RETRY_MS, so requests cannot make it hammer the mirror).
   */
  async openOrFetch(id: string, name: string): Promise<{ file: string; size: number } | undefined> {
    const hit = this.open(id, name);
    if (hit || !this.enabled) return hit;
    const c = this.opts.catalogue?.lookup(id);
    if (!c || c.name !== name) return undefined;
    const now = this.opts.clock.now().getTime();
    if ((this.failed.get(id) ?? 0) > now) return undefined;
    try {
      await this.ensure(c.source, { sha256: c.sha256, size: c.size });
      this.failed.delete(id);
    } catch (err) {
      this.failed.set(id, now + FETCH_RETRY_MS);
      this.opts.log.warn(
        `asset cache: ${loggedSource(c.source)}, cached by another instance, cannot be fetched here: ${(err as Error).message}`,
      );
      return undefined;
    }
    return this.open(id, name);
  }

  /** Bytes held, the cap, and the number of entries. */
  usage(): { bytes: number; maxBytes: number; count: number } {
    return { bytes: this.bytes, maxBytes: this.opts.maxBytes, count: this.entries.size };
  }

  /** Writes the lastUsedAt times changed since the last flush (at shutdown, and lazily while serving). */
  flush(): Promise<void> {
    this.lastFlush = this.opts.clock.now().getTime();
    return this.serial(async () => {
      const ids = [...this.dirty];
      this.dirty.clear();
      for (const id of ids) {
        const e = this.entries.get(id);
        if (e) await this.disk.writeEntry(e);
      }
    });
  }

  private touch(e: AssetEntry): AssetEntry {
    const now = this.opts.clock.now();
    e.lastUsedAt = now.toISOString();
    this.dirty.add(e.id);
    if (now.getTime() - this.lastFlush >= FLUSH_INTERVAL_MS)
      this.flush().catch((err: unknown) => this.opts.log.warn(`asset cache: flush failed: ${String(err)}`));
    return e;
  }

  /** An entry checked by size only becomes sha256-checked when a caller now names the sha256 it has. */
  private upgrade(e: AssetEntry, want: AssetExpect): AssetEntry {
    if (want.sha256 && e.verified === "size") {
      e.verified = "sha256";
      this.dirty.add(e.id);
    }
    return e;
  }

  private async fetchOnce(id: string, source: string, url: URL, want: AssetExpect): Promise<AssetEntry> {
    const signal = AbortSignal.timeout(this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const sha256 = want.sha256 ?? (await mirrorSha256(url, this.fetch, signal));
    const tmp = this.disk.tmp(id);
    const written = await download(url, source, tmp, {
      fetch: this.fetch,
      signal,
      room: this.room(id),
      tooLarge: (n) => this.tooLarge(source, n),
      checked: sha256 !== undefined,
    });
    this.opts.log.info(
      `asset cache: fetched ${loggedSource(source)} (${written.size} bytes, ${sha256 ? "sha256 checked" : "size checked"})`,
    );
    const entry = await this.commit(
      id,
      source,
      tmp,
      written,
      { ...want, sha256 },
      sha256 ? "sha256" : "size",
    );
    // Other instances fetch it from the same URL and check the same bytes; a store failure leaves it local.
    await this.opts.catalogue
      ?.record(entry)
      .catch((err: unknown) =>
        this.opts.log.warn(`asset cache: ${loggedSource(source)} not catalogued: ${(err as Error).message}`),
      );
    return entry;
  }

  /** Checks what was written, makes room, and moves it into place; the temporary file never stays. */
  private commit(
    id: string,
    source: string,
    tmp: string,
    written: Written,
    want: AssetExpect,
    verified: AssetEntry["verified"],
  ): Promise<AssetEntry> {
    const run = async (): Promise<AssetEntry> => {
      try {
        if (want.size !== undefined && written.size !== want.size)
          throw new EnforcerError(
            "ENF_ERR_ASSET_CHECKSUM",
            `${source}: ${written.size} bytes, expected ${want.size}`,
            { source, size: written.size, expected: want.size },
          );
        if (want.sha256 !== undefined && written.sha256 !== want.sha256)
          throw new EnforcerError(
            "ENF_ERR_ASSET_CHECKSUM",
            `${source}: sha256 ${written.sha256}, expected ${want.sha256}`,
            { source, sha256: written.sha256, expected: want.sha256 },
          );
        // New bytes under the name of a file an armed config boots from would change that boot under it.
        const held = this.entries.get(id);
        if (held && held.sha256 !== written.sha256 && this.inUse().has(id))
          throw new EnforcerError(
            "ENF_ERR_ASSET_IN_USE",
            `${loggedSource(source)} is needed by an armed config as it is: add the new file under another name`,
            { id },
          );
        await this.makeRoom(id, written.size, source);
        const name = assetName(source);
        await this.disk.place(tmp, id, name);
        const now = this.opts.clock.now().toISOString();
        const entry: AssetEntry = {
          id,
          name,
          source,
          size: written.size,
          sha256: written.sha256,
          verified,
          fetchedAt: now,
          lastUsedAt: now,
          path: assetPath(id, name),
        };
        const old = this.entries.get(id);
        this.bytes += entry.size - (old?.size ?? 0);
        this.entries.set(id, entry);
        await this.disk.writeEntry(entry);
        return entry;
      } finally {
        await this.disk.discard(tmp);
      }
    };
    return this.serial(run);
  }

  /** Runs `fn` after every disk change queued before it (it runs even when an earlier one failed). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => {});
    return p;
  }

  /** Evicts the least recently used entries no armed config needs until `size` more bytes fit. */
  private async makeRoom(id: string, size: number, source: string): Promise<void> {
    const pinned = this.inUse();
    const replaced = this.entries.get(id)?.size ?? 0;
    const victims = [...this.entries.values()]
      .filter((e) => e.id !== id && !pinned.has(e.id))
      .sort((a, b) => a.lastUsedAt.localeCompare(b.lastUsedAt));
    let after = this.bytes - replaced + size;
    const out: AssetEntry[] = [];
    for (const v of victims) {
      if (after <= this.opts.maxBytes) break;
      out.push(v);
      after -= v.size;
    }
    if (after > this.opts.maxBytes)
      throw new EnforcerError("ENF_ERR_ASSET_TOO_LARGE", this.tooLarge(source, size));
    for (const v of out) {
      this.opts.log.info(
        `asset cache: evicted ${loggedSource(v.source)} (${v.size} bytes, last used ${v.lastUsedAt})`,
      );
      await this.drop(v);
    }
  }

  private async drop(e: AssetEntry): Promise<void> {
    if (this.entries.get(e.id) !== e) return;
    this.entries.delete(e.id);
    this.dirty.delete(e.id);
    this.bytes -= e.size;
    await this.disk.remove(e.id);
  }

  /** The most a new file for `id` may take: the cap less what armed configs need. */
  private room(id: string): number {
    const pinned = this.inUse();
    let held = 0;
    for (const e of this.entries.values()) if (e.id !== id && pinned.has(e.id)) held += e.size;
    return Math.max(0, this.opts.maxBytes - held);
  }

  private tooLarge(source: string, bytes: number): string {
    return `${source}: ${bytes} bytes do not fit the asset cache (--asset-cache-size ${this.opts.maxBytes}, ${this.opts.maxBytes - this.room("")} of it held by files armed configs and arms under way need)`;
  }

  private checkEnabled(): void {
    if (!this.enabled)
      throw new EnforcerError("ENF_ERR_ASSET_DISABLED", "the asset cache is off (--asset-cache-size 0)");
  }
}
