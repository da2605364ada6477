import { createHash } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { EnforcerError } from "../domain/errors.js";

/** What was written: the byte count and the sha256 of exactly those bytes. */
export interface Written {
  size: number;
  sha256: string;
}

/**
 * Writes `body` to `tmp` (a new file), hashing as it goes, and fsyncs it: a file is renamed into the cache
 * only once its bytes are on disk. Past `maxBytes` it stops and throws ENF_ERR_ASSET_TOO_LARGE (`tooLarge`
 * says why), so a mirror that sends more than it announced cannot fill the disk. On any failure the
 * temporary file is removed: nothing half-written is ever left behind.
 */
export async function writeHashed(
  body: AsyncIterable<Uint8Array>,
  tmp: string,
  maxBytes: number,
  tooLarge: (bytes: number) => string,
): Promise<Written> {
  const hash = createHash("sha256");
  let size = 0;
  const fh = await open(tmp, "wx", 0o600);
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > maxBytes) throw new EnforcerError("ENF_ERR_ASSET_TOO_LARGE", tooLarge(size), { maxBytes });
      hash.update(chunk);
      // Awaited chunk by chunk: the download waits for the disk, so memory holds one chunk at a time.
      await fh.write(chunk);
    }
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  return { size, sha256: hash.digest("hex") };
}
