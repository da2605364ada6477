import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { scanJournal } from "../src/store/journal-codec.js";
import { fromJournal } from "../src/store/journal-ops.js";
import { readSnapshot, snapshotLines } from "../src/store/snapshot-file.js";
import { Collections } from "../src/store/store.js";

/**
 * The bytes a snapshot of the store in `dir` would take now (the snapshot plus its journal replayed, encoded and
 * gzipped as the file store writes a snapshot): what each compaction rewrites.
 */
export async function snapshotBytes(dir: string): Promise<number> {
  const mem = new Collections();
  const gen =
    (await readSnapshot(join(dir, "snapshot.json"), (c, id, value) => mem.map(c).set(id, value))) ?? 0;
  const journal = readdirSync(dir).find((n) => n === `journal-${gen}.log`);
  const current = (c: string, id: string) => mem.map(c).get(id);
  if (journal)
    for (const entries of scanJournal(readFileSync(join(dir, journal))).commits)
      mem.apply(fromJournal(entries, current));
  // The lines gzipped at level 1, as writeSnapshot writes them (in one piece here: the size is the same).
  return gzipSync([...snapshotLines(gen + 1, mem.frozen())].join(""), { level: 1 }).length;
}
