import type { Readable } from "node:stream";
import { EnforcerError } from "../domain/errors.js";
import type { AssetFetcher } from "./asset-arming.js";

/** One cached file as the cache keeps it (the fields of asset-cache.ts's AssetEntry this service reads). */
export interface AssetRecord {
  id: string;
  name: string;
  source: string;
  size: number;
  sha256: string;
  verified?: string;
  fetchedAt: string;
  lastUsedAt: string;
  path: string;
}

/** What the operator's side needs of the cache (`AssetCache` has this shape). */
export interface AssetCatalog extends AssetFetcher {
  ensure(url: string, expect?: { sha256?: string }): Promise<AssetRecord>;
  add(name: string, body: Readable, expect?: { sha256?: string }): Promise<AssetRecord>;
  list(): AssetRecord[];
  remove(id: string): Promise<void>;
  usage(): { bytes: number; maxBytes: number; count: number };
}

/** A cached file as the API answers it: the entry, Enforcer's URL for it, and the configs that boot it. */
export type AssetView = AssetRecord & { url: string; usedBy: string[] };

/**
 * The asset cache for operators: list it with what uses each file, pre-seed it from a URL or an upload,
 * remove a file no armed config needs. With the cache off (`--asset-cache-size 0`) the list is empty and
 * adding is refused with ENF_ERR_ASSET_CACHE_OFF.
 */
export class AssetService {
  constructor(
    private readonly cache: AssetCatalog | undefined,
    private readonly users: () => Map<string, string[]>,
    private readonly publicUrl: () => string,
  ) {}

  /** Every cached file, most recently used first, and the bytes they take against the cap. */
  list(): { items: AssetView[]; usage: { bytes: number; maxBytes: number; count: number } } {
    if (!this.cache) return { items: [], usage: { bytes: 0, maxBytes: 0, count: 0 } };
    const users = this.users();
    const items = this.cache
      .list()
      .map((e) => this.view(e, users))
      .sort((a, b) => (a.lastUsedAt < b.lastUsedAt ? 1 : a.lastUsedAt > b.lastUsedAt ? -1 : 0));
    return { items, usage: this.cache.usage() };
  }

  /** Fetches a URL into the cache ahead of any arm (a rack about to lose its internet). */
  async add(url: string, sha256?: string): Promise<AssetView> {
    const e = await this.on().ensure(url, sha256 ? { sha256 } : undefined);
    return this.view(e, this.users());
  }

  /** Stores an operator's file, streamed; the cache bounds it by its cap. */
  async upload(name: string, body: Readable, sha256?: string): Promise<AssetView> {
    const e = await this.on().add(name, body, sha256 ? { sha256 } : undefined);
    return this.view(e, this.users());
  }

  /** Removes a file; the cache refuses one an armed config needs (ENF_ERR_ASSET_IN_USE). */
  async remove(id: string): Promise<void> {
    await this.on().remove(id);
  }

  private on(): AssetCatalog {
    if (!this.cache)
      throw new EnforcerError(
        "ENF_ERR_ASSET_CACHE_OFF",
        "the asset cache is off (--asset-cache-size 0): profiles' URLs are served as they are",
      );
    return this.cache;
  }

  private view(e: AssetRecord, users: Map<string, string[]>): AssetView {
    return { ...e, url: `${this.publicUrl()}${e.path}`, usedBy: users.get(e.id) ?? [] };
  }
}
