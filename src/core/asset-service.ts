import type { Readable } from "node:stream";
import type { AssetCache, AssetEntry } from "./asset-cache.js";

/** What the operator's side uses of the cache. */
type AssetCatalog = Pick<AssetCache, "ensure" | "add" | "list" | "remove" | "usage">;

/** A cached file as the API answers it: the entry, Enforcer's URL for it, and the configs that boot it. */
export type AssetView = AssetEntry & { url: string; usedBy: string[] };

/**
 * The asset cache for operators: list it with what uses each file, pre-seed it from a URL or an upload,
 * remove a file no armed config needs. With the cache off (`--asset-cache-size 0`) the list is empty and
 * the cache refuses the rest (ENF_ERR_ASSET_DISABLED).
 */
export class AssetService {
  constructor(
    private readonly cache: AssetCatalog,
    private readonly users: () => Map<string, string[]>,
    private readonly publicUrl: () => string,
  ) {}

  /** Every cached file, most recently used first, and the bytes they take against the cap. */
  list(): { items: AssetView[]; usage: { bytes: number; maxBytes: number; count: number } } {
    const users = this.users();
    const items = this.cache
      .list()
      .map((e) => this.view(e, users))
      .sort((a, b) => (a.lastUsedAt < b.lastUsedAt ? 1 : a.lastUsedAt > b.lastUsedAt ? -1 : 0));
    return { items, usage: this.cache.usage() };
  }

  /** Fetches a URL into the cache ahead of any arm (a rack about to lose its internet). */
  async add(url: string, sha256?: string): Promise<AssetView> {
    const e = await this.cache.ensure(url, sha256 ? { sha256 } : undefined);
    return this.view(e, this.users());
  }

  /** Stores an operator's file, streamed; the cache bounds it by its cap (by `length` first, when announced). */
  async upload(name: string, body: Readable, sha256?: string, length?: number): Promise<AssetView> {
    const e = await this.cache.add(name, body, sha256 ? { sha256 } : undefined, length);
    return this.view(e, this.users());
  }

  /** Removes a file; the cache refuses one an armed config needs (ENF_ERR_ASSET_IN_USE). */
  async remove(id: string): Promise<void> {
    await this.cache.remove(id);
  }

  private view(e: AssetEntry, users: Map<string, string[]>): AssetView {
    return { ...e, url: `${this.publicUrl()}${e.path}`, usedBy: users.get(e.id) ?? [] };
  }
}
