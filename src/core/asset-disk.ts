import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, type Dirent } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { assetId, assetName, assetPath } from "./asset-names.js";
import type { AssetEntry } from "./asset-cache.js";

/** Where downloads and metadata are written before they are renamed into place (same file system). */
const TMP = ".tmp";

/**
 * The cache's files under `<data>/assets`: `<id>/<name>` holds an asset's bytes and `<id>.json` its entry
 * (beside the directory, so no asset name can collide with it). A file is renamed into place only once
 * its bytes are synced and checked, and its entry is written after it: an entry on disk always has its file.
 */
export class AssetDisk {
  constructor(readonly dir: string) {}

  /** The absolute path of an asset's bytes. */
  file(id: string, name: string): string {
    return join(this.dir, id, name);
  }

  /** A fresh temporary path for a download or an upload. */
  tmp(id: string): string {
    return join(this.dir, TMP, `${id}.${randomBytes(6).toString("hex")}`);
  }

  /**
   * Reads every valid entry at start and removes everything else: leftovers of interrupted downloads, a
   * directory without its entry, an entry whose file is missing or of another size. Synchronous: it runs
   * once while the core is built, over a handful of files.
   */
  scan(removed: (what: string) => void): AssetEntry[] {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    rmSync(join(this.dir, TMP), { recursive: true, force: true });
    mkdirSync(join(this.dir, TMP), { mode: 0o700 });
    const names = readdirSync(this.dir, { withFileTypes: true });
    const entries = new Map<string, AssetEntry>();
    for (const d of names) {
      if (!d.name.endsWith(".json")) continue;
      const entry = this.readEntry(d);
      if (entry) entries.set(entry.id, entry);
    }
    for (const d of names) {
      if (d.name === TMP) continue;
      const id = d.name.endsWith(".json") ? d.name.slice(0, -5) : d.name;
      const entry = entries.get(id);
      if (!entry) {
        removed(d.name);
        rmSync(join(this.dir, d.name), { recursive: true, force: true });
      } else if (d.isDirectory()) {
        // Only the entry's own file stays in its directory.
        for (const f of readdirSync(join(this.dir, id)))
          if (f !== entry.name) rmSync(join(this.dir, id, f), { recursive: true, force: true });
      }
    }
    return [...entries.values()];
  }

  /** Moves a checked temporary file into place as `<id>/<name>`, durably. */
  async place(tmp: string, id: string, name: string): Promise<string> {
    await mkdir(join(this.dir, id), { recursive: true, mode: 0o700 });
    const file = this.file(id, name);
    await rename(tmp, file);
    await syncDir(join(this.dir, id));
    return file;
  }

  /** Writes an entry's metadata atomically (temporary file, fsync, rename). */
  async writeEntry(entry: AssetEntry): Promise<void> {
    const tmp = this.tmp(entry.id);
    const fh = await open(tmp, "wx", 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(entry)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, `${entry.id}.json`));
    await syncDir(this.dir);
  }

  /** Removes an entry: its metadata first, so a crash half-way leaves a file the next start removes. */
  async remove(id: string): Promise<void> {
    await rm(join(this.dir, `${id}.json`), { force: true });
    await rm(join(this.dir, id), { recursive: true, force: true });
  }

  /** Removes a temporary file that was not placed. */
  async discard(tmp: string): Promise<void> {
    await rm(tmp, { force: true });
  }

  private readEntry(d: Dirent): AssetEntry | undefined {
    try {
      if (!d.isFile()) return undefined;
      const e = JSON.parse(readFileSync(join(this.dir, d.name), "utf8")) as Partial<AssetEntry>;
      if (
        typeof e.source !== "string" ||
        e.id !== assetId(e.source) ||
        d.name !== `${e.id}.json` ||
        typeof e.name !== "string" ||
        e.name !== assetName(e.source) ||
        typeof e.size !== "number" ||
        typeof e.sha256 !== "string" ||
        !/^[0-9a-f]{64}$/.test(e.sha256) ||
        typeof e.fetchedAt !== "string" ||
        typeof e.lastUsedAt !== "string" ||
        (e.verified !== "size" && e.verified !== "sha256")
      )
        return undefined;
      const st = statSync(this.file(e.id, e.name));
      if (!st.isFile() || st.size !== e.size) return undefined;
      return { ...(e as AssetEntry), path: assetPath(e.id, e.name) };
    } catch {
      return undefined;
    }
  }
}

/** fsync a directory, so a rename in it survives a power cut (SD cards lose them otherwise). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
