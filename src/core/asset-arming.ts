import type { BootConfig } from "../domain/boot-config.js";
import type { BootSpec } from "../domain/boot-spec.js";
import { assetId } from "./asset-names.js";

/** What arming needs of the boot asset cache (`AssetCache` in asset-cache.ts has this shape). */
export interface AssetFetcher {
  ensure(url: string, expect?: { sha256?: string }): Promise<{ id: string; path: string }>;
  get(idOrSource: string): { id: string; path: string } | undefined;
}

/** Where a spec's files are served from once cached: iPXE gets an HTTP URL, a Pi's bootloader a TFTP name. */
export type AssetServing = "http" | "tftp";

/** Logs what happens in the background (the discovery files' first fetch). */
type WarnLog = { warn(msg: string): void };

/** A path Enforcer serves a cached asset under (`/assets/<id>/<name>`, or without the slash for TFTP). */
const ASSET_REF = /(?:^|\/)assets\/([0-9a-f]{16})\/[^/?#]+$/;

/** The cache id an Enforcer asset URL or TFTP name refers to, or undefined for any other file. */
export function assetIdOf(url: string): string | undefined {
  return ASSET_REF.exec(url)?.[1];
}

/** The asset ids a rendered spec boots from (its kernel and initrds served from the cache). */
export function specAssetIds(spec: BootConfig["spec"]): string[] {
  if (!spec || spec.kind !== "linux") return [];
  return [spec.kernel, ...spec.initrds.map((i) => i.url)]
    .map(assetIdOf)
    .filter((id): id is string => id !== undefined);
}

/**
 * Arming through the asset cache: every http(s) kernel and initrd of a rendered spec is fetched (once, and
 * checked) before the config is armed, and the spec then names Enforcer's copy. The discovery image's files
 * go the same way, but in the background: a discovery boot must not wait for a mirror.
 */
export class AssetArming {
  /** Discovery URLs whose background fetch has started, so a boot storm starts one each. */
  private readonly warming = new Set<string>();
  /** Cache ids of the files arms under way fetch, with how many arms hold each. */
  private readonly held = new Map<string, number>();

  constructor(
    private readonly cache: AssetFetcher,
    private readonly publicUrl: () => string,
    private readonly log?: WarnLog,
  ) {}

  /**
   * The spec with each http(s) kernel and initrd replaced by the cached copy's URL (or, for `tftp`, its
   * TFTP name `assets/<id>/<name>`). `checksums` maps a file's URL to the sha256 it must have. Throws the
   * cache's coded error (ENF_ERR_ASSET_*) naming the URL: nothing may be armed that would fail at boot.
   */
  async localize(
    spec: BootSpec,
    serving: AssetServing,
    checksums: Readonly<Record<string, string>> = {},
  ): Promise<BootSpec> {
    if (spec.kind !== "linux") return spec;
    const local = async (url: string): Promise<string> => {
      if (!this.remote(url)) return url;
      const sha256 = checksums[url];
      const entry = await this.cache.ensure(url, sha256 ? { sha256 } : undefined);
      return serving === "tftp" ? entry.path.replace(/^\/+/, "") : `${this.publicUrl()}${entry.path}`;
    };
    // All at once: a kernel and its initrds often come from one slow mirror.
    const [kernel, ...initrds] = await Promise.all([
      local(spec.kernel),
      ...spec.initrds.map((i) => local(i.url)),
    ]);
    return { ...spec, kernel: kernel!, initrds: spec.initrds.map((i, n) => ({ ...i, url: initrds[n]! })) };
  }

  /**
   * Holds the cache ids of a spec's remote files from before their download until `release()`: until the
   * arm commits, no armed config names them yet, and another file placed meanwhile (this arm's initrd,
   * another arm's kernel) would otherwise evict them and the config would be armed naming a file gone.
   */
  hold(spec: BootSpec): () => void {
    if (spec.kind !== "linux") return () => {};
    const ids = [spec.kernel, ...spec.initrds.map((i) => i.url)].filter((u) => this.remote(u)).map(assetId);
    for (const id of ids) this.held.set(id, (this.held.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const id of ids) {
        const n = (this.held.get(id) ?? 1) - 1;
        if (n > 0) this.held.set(id, n);
        else this.held.delete(id);
      }
    };
  }

  /** The cache ids arms under way hold (kept from eviction like those of armed configs). */
  heldIds(): IterableIterator<string> {
    return this.held.keys();
  }

  /**
   * A discovery kernel or initrd URL as a boot should fetch it: Enforcer's copy once cached; until then the
   * URL itself, while the first fetch runs in the background (a failure is logged, and tried again by the
   * next discovery boot).
   */
  discoveryUrl(url: string): string {
    if (!this.remote(url)) return url;
    const entry = this.cache.get(url);
    if (entry) return `${this.publicUrl()}${entry.path}`;
    this.warm(url);
    return url;
  }

  /** Starts fetching a URL into the cache unless that already runs (at start, for the discovery files). */
  warm(url: string | undefined): void {
    if (!url || !this.remote(url) || this.warming.has(url) || this.cache.get(url)) return;
    this.warming.add(url);
    this.cache.ensure(url).then(
      () => this.warming.delete(url),
      (err: unknown) => {
        this.warming.delete(url);
        this.log?.warn(
          `asset cache: the discovery file ${url} cannot be cached (${(err as Error).message}); boots fetch it upstream`,
        );
      },
    );
  }

  /** The ids of the cached discovery files (kept from eviction while discovery boots them). */
  discoveryIds(urls: readonly (string | undefined)[]): string[] {
    return urls
      .map((u) => (u && this.remote(u) ? this.cache.get(u)?.id : undefined))
      .filter((id): id is string => id !== undefined);
  }

  /**
   * True for the URLs the cache fetches: http and https, but not this Enforcer's own (its /tftp/ files, or
   * an asset URL already); tftp URLs and plain names are served as they are.
   */
  private remote(url: string): boolean {
    return /^https?:\/\//i.test(url) && !url.startsWith(`${this.publicUrl()}/`);
  }
}
