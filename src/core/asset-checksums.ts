import { mirrorRequest } from "./asset-download.js";

/** How many directories above the file's own are searched for SHA256SUMS (Debian's netboot tree needs 3). */
const LEVELS_UP = 3;
/** A checksum file larger than this is not read: a mirror's lists are a few KiB. */
const MAX_SUMS_BYTES = 1024 * 1024;

/**
 * The sha256 the mirror publishes for `url`, or undefined. Looks for `SHA256SUMS` in the file's directory
 * and up to three above it (Debian's `.../images/SHA256SUMS` lists `./netboot/debian-installer/amd64/linux`),
 * all at once, and takes the nearest list that names the file by its path relative to the list. A list
 * that is missing, too large or unreadable is no answer: the asset is then checked by size only.
 */
export async function mirrorSha256(
  url: URL,
  fetchFn: typeof fetch,
  signal: AbortSignal,
): Promise<string | undefined> {
  const dirs: URL[] = [];
  for (let dir = new URL(".", url), i = 0; i <= LEVELS_UP; i++) {
    dirs.push(dir);
    if (dir.pathname === "/") break;
    dir = new URL("..", dir);
  }
  const lists = await Promise.all(dirs.map((d) => fetchSums(new URL("SHA256SUMS", d), fetchFn, signal)));
  for (const [i, text] of lists.entries()) {
    if (text === undefined) continue;
    const rel = decoded(url.pathname.slice(dirs[i]!.pathname.length));
    const sum = findSum(text, rel);
    if (sum) return sum;
  }
  return undefined;
}

/** A path as a checksum list names it: percent-escapes decoded, or as it is when one is broken (no list can name it then, and the file is still fetched). */
function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The hash `text` (sha256sum's output format) gives for `rel`, with or without a leading `./`. */
export function findSum(text: string, rel: string): string | undefined {
  for (const line of text.split("\n")) {
    const m = /^([0-9a-fA-F]{64}) [ *](?:\.\/)?(.+?)\r?$/.exec(line);
    if (m && m[2] === rel) return m[1]!.toLowerCase();
  }
  return undefined;
}

async function fetchSums(url: URL, fetchFn: typeof fetch, signal: AbortSignal): Promise<string | undefined> {
  try {
    const res = await fetchFn(...mirrorRequest(url, signal));
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      return undefined;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += chunk.length;
      // Leaving the loop cancels the rest of the body.
      if (size > MAX_SUMS_BYTES) return undefined;
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString("utf8");
  } catch {
    return undefined;
  }
}
