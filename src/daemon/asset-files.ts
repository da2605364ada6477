import type { AssetCache } from "../core/asset-cache.js";
import type { BootFiles, BootFile } from "../files/boot-files.js";
import { openDiskFile } from "../files/disk-file.js";

const ASSET = /^\/?assets\/([^/]*)\/([^/]*)$/;

/**
 * The boot file namespace with the asset cache under `assets/<id>/<name>` (TFTP, for Pi clients and
 * firmware without HTTP). A name under `assets/` is answered by the cache alone: an id or name that is not
 * a cached entry is "file not found", never a path looked up on disk.
 */
export function withAssets(files: Pick<BootFiles, "open">, assets: AssetCache): Pick<BootFiles, "open"> {
  return {
    open: async (raw): Promise<BootFile> => {
      const text = typeof raw === "string" ? raw : raw.toString("latin1");
      const m = ASSET.exec(text);
      if (!m) return files.open(raw);
      const hit = await assets.openOrFetch(m[1]!, m[2]!);
      if (!hit) return { ok: false, code: 1, message: `file not found: ${text.slice(0, 200)}` };
      return openDiskFile(text.replace(/^\//, ""), hit.file);
    },
  };
}
