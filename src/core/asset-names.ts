import { createHash } from "node:crypto";

/** Longest source (URL or upload name) the cache takes: a profile's URL, not a document. */
export const MAX_SOURCE_LENGTH = 2048;

/** An asset's id: the first 16 hex chars of sha256(source), so one source always lands in one place. */
export function assetId(source: string): string {
  return createHash("sha256").update(source).digest("hex").slice(0, 16);
}

/**
 * The name an asset is served under: the source's last path segment when it is made only of
 * [A-Za-z0-9._-], at most 64 characters and not `.` or `..`; otherwise "file". iPXE and TFTP clients see
 * it, and some (PXELINUX, GRUB) pick a loader by the name's ending, so it is kept when it is safe.
 */
export function assetName(source: string): string {
  let last = source;
  try {
    last = new URL(source).pathname;
  } catch {
    // An upload's name, not a URL.
  }
  last = last.slice(last.lastIndexOf("/") + 1);
  try {
    last = decodeURIComponent(last);
  } catch {
    // A broken escape: the raw segment is checked as it is.
  }
  return /^[A-Za-z0-9._-]{1,64}$/.test(last) && last !== "." && last !== ".." ? last : "file";
}

/** The path an asset is served under: the URL path over HTTP, the file name over TFTP (without the `/`). */
export function assetPath(id: string, name: string): string {
  return `/assets/${id}/${name}`;
}

/** A source as log lines show it: a URL's password masked, so a mirror's credentials stay out of the log. */
export function loggedSource(source: string): string {
  if (!/^https?:\/\/[^/]*@/i.test(source)) return source;
  try {
    const u = new URL(source);
    if (u.password) u.password = "***";
    return u.href;
  } catch {
    return source;
  }
}
