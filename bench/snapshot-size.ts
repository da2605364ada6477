import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { scanJournal } from "../src/store/journal-codec.js";
import { fromJournal } from "../src/store/journal-ops.js";
import { Collections } from "../src/store/store.js";

/**
 * The bytes a snapshot of the store in `dir` would take now (the snapshot plus its journal replayed, encoded as
 * the file store encodes a snapshot): what each compaction rewrites.
 */
export function snapshotBytes(dir: string): number {
  const mem = new Collections();
  let gen = 0;
  const snap = join(dir, "snapshot.json");
  if (existsSync(snap)) {
    const s = JSON.parse(readFileSync(snap, "utf8").slice(9)) as {
      gen: number;
      data: Record<string, Record<string, unknown>>;
    };
    mem.load(s.data);
    gen = s.gen;
  }
  const journal = readdirSync(dir).find((n) => n === `journal-${gen}.log`);
  const current = (c: string, id: string) => mem.map(c).get(id);
  if (journal)
    for (const entries of scanJournal(readFileSync(join(dir, journal))).commits)
      mem.apply(fromJournal(entries, current));
  // `CRC32 SP JSON LF`, as encodeSnapshot writes it.
  return 9 + Buffer.byteLength(JSON.stringify({ version: 1, gen: gen + 1, data: mem.toJSON() })) + 1;
}
