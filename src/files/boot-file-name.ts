/** A requested name, checked and turned into path segments under the root, or why it was refused. */
export type NameCheck =
  { ok: true; name: string; segments: string[] } | { ok: false; code: 1 | 2; message: string };

/** Longest file name accepted (tftpd-hpa and PXE ROMs stay far below). */
export const MAX_NAME = 255;

/**
 * Checks a requested file name before any file system call. Trailing non-printing bytes some PXE ROMs
 * append are dropped; backslashes become slashes (Windows-style ROMs, as dnsmasq does); a leading slash
 * means the root. Anything else unusual is refused with a precise message: NUL or control bytes inside,
 * `..` anywhere, names over 255 bytes.
 */
export function checkName(raw: Buffer | string): NameCheck {
  let bytes = typeof raw === "string" ? Buffer.from(raw, "latin1") : raw;
  let end = bytes.length;
  while (end > 0 && !isPrintable(bytes[end - 1]!)) end--;
  bytes = bytes.subarray(0, end);
  if (bytes.length > MAX_NAME) {
    return { ok: false, code: 2, message: `access violation: file name longer than ${MAX_NAME} bytes` };
  }
  const bad = bytes.findIndex((b) => !isPrintable(b));
  if (bad >= 0) {
    return {
      ok: false,
      code: 2,
      message: `access violation: non-printing byte 0x${bytes[bad]!.toString(16)} in file name`,
    };
  }
  const name = bytes.toString("latin1").replace(/\\/g, "/");
  const segments = name.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes(".."))
    return { ok: false, code: 2, message: "access violation: '..' is not allowed in file names" };
  if (segments.length === 0) return { ok: false, code: 1, message: "file not found: empty file name" };
  return { ok: true, name: segments.join("/"), segments };
}

function isPrintable(b: number): boolean {
  return b >= 0x20 && b <= 0x7e;
}
