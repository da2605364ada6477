import { EnforcerError } from "../domain/errors.js";
import type { AssetEntry } from "./asset-cache.js";
import { MAX_SOURCE_LENGTH } from "./asset-names.js";

/** What a caller knows of a file ahead: its sha256 (from a profile), its size. */
export interface AssetExpect {
  sha256?: string;
  size?: number;
}

/** The URL a source names, or ENF_ERR_ASSET_URL. */
export function parseSource(url: string): URL {
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== "http:" && u.protocol !== "https:") || url.length > MAX_SOURCE_LENGTH)
    throw new EnforcerError(
      "ENF_ERR_ASSET_URL",
      `${url.slice(0, 200)}: an asset's source must be an http:// or https:// URL of at most ${MAX_SOURCE_LENGTH} characters`,
      { url: url.slice(0, 200) },
    );
  return u;
}

/** The expectation with its sha256 in lower case, or ENF_ERR_ASSET_CHECKSUM when it cannot be one. */
export function checkExpect(expect: AssetExpect): AssetExpect {
  const out: AssetExpect = {};
  if (expect.sha256 !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(expect.sha256))
      throw new EnforcerError("ENF_ERR_ASSET_CHECKSUM", "an expected sha256 is 64 hexadecimal characters", {
        sha256: expect.sha256.slice(0, 80),
      });
    out.sha256 = expect.sha256.toLowerCase();
  }
  if (expect.size !== undefined) {
    if (!Number.isSafeInteger(expect.size) || expect.size < 0)
      throw new EnforcerError("ENF_ERR_ASSET_CHECKSUM", "an expected size is a whole number of bytes", {
        size: expect.size,
      });
    out.size = expect.size;
  }
  return out;
}

/** Whether a cached file is what the caller expects (each part it names). */
export function matches(e: Pick<AssetEntry, "sha256" | "size">, want: AssetExpect): boolean {
  return (
    (want.sha256 === undefined || e.sha256 === want.sha256) &&
    (want.size === undefined || e.size === want.size)
  );
}
