import { rm } from "node:fs/promises";
import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import { writeHashed, type Written } from "./asset-write.js";

/** How a download runs: the fetch to use, when to give up, and how many bytes it may take. */
export interface DownloadOptions {
  fetch: typeof fetch;
  signal: AbortSignal;
  /** The most bytes the file may have; a larger Content-Length is refused before anything is read. */
  room: number;
  tooLarge: (bytes: number) => string;
  /** True when a sha256 will check the bytes; without one, an HTML page is refused. */
  checked: boolean;
}

/**
 * The request for a mirror's URL: fetch refuses a URL with a user and password in it, so they go as HTTP
 * Basic auth instead (iPXE sends a URL's credentials the same way; profiles name such mirrors).
 */
export function mirrorRequest(url: URL, signal: AbortSignal): [URL, RequestInit] {
  // identity: fetch would otherwise undo a Content-Encoding, and the bytes kept would not be the mirror's.
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  if (!url.username && !url.password) return [url, { signal, headers }];
  const bare = new URL(url);
  bare.username = "";
  bare.password = "";
  const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  headers.authorization = `Basic ${Buffer.from(user).toString("base64")}`;
  return [bare, { signal, headers }];
}

/**
 * Downloads `url` to the new file `tmp` and answers its size and sha256. A status other than 2xx, a
 * network failure, the timeout, an HTML page no sha256 vouches for, a Content-Encoding other than identity, or a body shorter or longer than its Content-Length is
 * ENF_ERR_ASSET_FETCH; more than `room` bytes is ENF_ERR_ASSET_TOO_LARGE. Nothing is left at `tmp` on failure.
 */
export async function download(url: URL, source: string, tmp: string, o: DownloadOptions): Promise<Written> {
  let res: Response;
  try {
    res = await o.fetch(...mirrorRequest(url, o.signal));
  } catch (err) {
    throw fetchError(source, err, o.signal);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => {});
    throw new EnforcerError("ENF_ERR_ASSET_FETCH", `${source}: the mirror answered ${res.status}`, {
      url: source,
      status: res.status,
    });
  }
  const type = res.headers.get("content-type")?.split(";")[0]!.trim().toLowerCase();
  if (type === "text/html" && !o.checked) {
    // No kernel or initrd is served as HTML, but captive portals, proxies and soft 404s answer 200 with a
    // page: checked by size only, it would be armed and fail at boot on every machine.
    await res.body.cancel().catch(() => {});
    throw new EnforcerError(
      "ENF_ERR_ASSET_FETCH",
      `${source}: the mirror answered an HTML page (Content-Type text/html), not a boot file (a login page or an error page?); if it is the file meant, give its sha256`,
      { url: source, contentType: type },
    );
  }
  const encoding = res.headers.get("content-encoding")?.trim().toLowerCase();
  if (encoding && encoding !== "identity") {
    // fetch undoes gzip, deflate and br whatever was asked: the bytes kept would not be the mirror's file
    // (its SHA256SUMS, what iPXE fetching the URL itself gets), and its Content-Length would not match them.
    await res.body.cancel().catch(() => {});
    throw new EnforcerError(
      "ENF_ERR_ASSET_FETCH",
      `${source}: the mirror sent it with Content-Encoding: ${encoding.slice(0, 40)} although asked for identity; the cache keeps only a file's own bytes (serve it without that encoding, or add the file itself with enforcer assets add FILE)`,
      { url: source, encoding: encoding.slice(0, 40) },
    );
  }
  const header = res.headers.get("content-length");
  const length = header !== null && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
  if (length !== undefined && length > o.room) {
    await res.body.cancel().catch(() => {});
    throw new EnforcerError("ENF_ERR_ASSET_TOO_LARGE", o.tooLarge(length), { url: source, size: length });
  }
  let written: Written;
  try {
    written = await writeHashed(res.body, tmp, o.room, o.tooLarge);
  } catch (err) {
    throw isEnforcerError(err) ? err : fetchError(source, err, o.signal);
  }
  if (length !== undefined && written.size !== length) {
    await rm(tmp, { force: true });
    throw new EnforcerError(
      "ENF_ERR_ASSET_FETCH",
      `${source}: the download ended after ${written.size} of ${length} bytes`,
      { url: source, size: written.size, expected: length },
    );
  }
  return written;
}

function fetchError(source: string, err: unknown, signal: AbortSignal): EnforcerError {
  // undici puts the network's reason (ECONNREFUSED, a reset) in `cause`; "fetch failed" says nothing.
  const cause = (err as { cause?: { message?: string; code?: string } }).cause;
  const why = signal.aborted
    ? "timed out"
    : (cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err)));
  return new EnforcerError("ENF_ERR_ASSET_FETCH", `${source}: the download failed (${why})`, {
    url: source,
    reason: why,
  });
}
