import { open } from "node:fs/promises";
import { diskFile, type BootFile } from "./boot-files.js";

/**
 * Opens a file outside the boot namespace's root by its absolute path (the asset cache's files), served
 * like any other: read in chunks for TFTP, streamed for HTTP, never whole in memory. The handle is opened
 * here, so a file evicted while it is served is still read to its end.
 */
export async function openDiskFile(name: string, path: string): Promise<BootFile> {
  let fh;
  try {
    fh = await open(path, "r");
  } catch {
    return { ok: false, code: 1, message: `file not found: ${name}` };
  }
  const st = await fh.stat().catch(() => undefined);
  if (!st?.isFile()) {
    await fh.close();
    return { ok: false, code: 1, message: `file not found: ${name}` };
  }
  return diskFile(name, path, fh, st.size, `${path}\0${st.mtimeMs}\0${st.size}`);
}
