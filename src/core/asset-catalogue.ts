import type { Store } from "../store/store.js";
import { COLLECTIONS } from "../store/collections.js";
import { assetId } from "./asset-names.js";

/** What an instance needs to fetch a cached asset it does not hold: where from, and what the bytes must be. */
export interface CatalogueEntry {
  id: string;
  name: string;
  /** The upstream http(s) URL (uploads are not catalogued: no other instance could fetch them). */
  source: string;
  sha256: string;
  size: number;
}

/** The part of the catalogue the asset cache uses (tests give a fake). */
export interface AssetCataloguePort {
  lookup(id: string): CatalogueEntry | undefined;
  record(e: CatalogueEntry): Promise<void>;
  forget(id: string): Promise<void>;
}

/**
 * The shared catalogue of cached assets, in the store (`assets` collection), written only when the store is
 * shared: the bytes stay on each instance's disk, the catalogue says where any instance fetches them from
 * and checks them against. An entry stays until an operator removes the asset (evicting it frees disk on one
 * instance only; another may still need it); only URLs an operator's profiles or API calls named enter it.
 */
export class AssetCatalogue implements AssetCataloguePort {
  constructor(private readonly store: Store) {}

  /** The entry for a cache id, if one instance fetched it; never an entry whose id is not its source's. */
  lookup(id: string): CatalogueEntry | undefined {
    const e = this.store.get<CatalogueEntry>(COLLECTIONS.assets, id);
    return e && e.id === id && assetId(e.source) === id ? e : undefined;
  }

  /** Records where an asset came from (nothing written when the store holds it as it is). */
  async record(e: CatalogueEntry): Promise<void> {
    if (!/^https?:\/\//i.test(e.source)) return;
    const entry: CatalogueEntry = {
      id: e.id,
      name: e.name,
      source: e.source,
      sha256: e.sha256,
      size: e.size,
    };
    const have = this.store.get<CatalogueEntry>(COLLECTIONS.assets, e.id);
    if (have && have.sha256 === entry.sha256 && have.size === entry.size && have.name === entry.name) return;
    await this.store.commit([{ op: "put", collection: COLLECTIONS.assets, id: e.id, value: entry }]);
  }

  /** Forgets an asset an operator removed. */
  async forget(id: string): Promise<void> {
    if (!this.store.get(COLLECTIONS.assets, id)) return;
    await this.store.commit([{ op: "del", collection: COLLECTIONS.assets, id }]);
  }
}
