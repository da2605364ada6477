/** What a `Range` header asks of a file of `size` bytes: everything, one satisfiable range, or nothing possible. */
export type RangeAnswer =
  { kind: "full" } | { kind: "partial"; start: number; end: number } | { kind: "unsatisfiable" };

const SINGLE = /^bytes=(\d{0,15})-(\d{0,15})$/;

/**
 * Reads a `Range` header (RFC 9110 14.2) for one byte range; `end` is exclusive. A header that is absent,
 * malformed or asks for several ranges is ignored (a full answer, as the RFC allows): loaders fetched over
 * HTTP never need several, and refusing them would only break clients.
 */
export function byteRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: "full" };
  const m = SINGLE.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "full" };
  if (m[1] === "") {
    // A suffix: the last N bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - n), end: size };
  }
  const start = Number(m[1]);
  if (m[2] !== "" && Number(m[2]) < start) return { kind: "full" }; // syntactically invalid: ignored
  if (start >= size) return { kind: "unsatisfiable" };
  const last = m[2] === "" ? size - 1 : Number(m[2]);
  return { kind: "partial", start, end: Math.min(size, last + 1) };
}
