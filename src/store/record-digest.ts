import { createHash } from "node:crypto";
import type { StoreRecords } from "./file-store-read.js";

/** What one collection holds, in a form two stores can be compared by. */
export interface CollectionDigest {
  records: number;
  /** SHA-256 (hex) over every id and value, ids sorted, values as JSON with their keys sorted. */
  sha256: string;
}

/**
 * The digest of each named collection. Keys are sorted so that two stores holding equal values hash alike
 * whatever order their fields were written in (a replayed merge may order them differently).
 */
export function digestRecords(
  records: StoreRecords,
  collections: readonly string[],
): Map<string, CollectionDigest> {
  const out = new Map<string, CollectionDigest>();
  for (const name of collections) {
    const m = records.get(name) ?? new Map<string, unknown>();
    const hash = createHash("sha256");
    for (const id of [...m.keys()].sort()) hash.update(`${id}\0${canonicalJson(m.get(id))}\n`);
    out.set(name, { records: m.size, sha256: hash.digest("hex") });
  }
  return out;
}

/** JSON with every object's keys in sorted order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
