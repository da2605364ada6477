import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { scanJournal } from "../src/store/journal-codec.js";
import { fromJournal } from "../src/store/journal-ops.js";
import { Collections } from "../src/store/store.js";

/**
 * The bytes a snapshot of the store in `dir` would take now (the snapshot plus its journal replayed, encoded and
 * gzipped as the file store writes a snapshot): what each compaction rewrites.
 */
export function snapshotBytes(dir: string): number {
  const mem = new Collections();
  let gen = 0;
  const snap = join(dir, "snapshot.json");
  if (existsSync(snap)) {
    const raw = readFileSync(snap);
    const text = raw[0] === 0x1f ? gunzipSync(raw).toString() : raw.toString();
    const s = JSON.parse(text.slice(9)) as {
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
  // `CRC32 SP JSON LF`, gzipped at level 1, as encodeSnapshot writes it (the CRC's digits do not matter).
  const json = JSON.stringify({ version: 1, gen: gen + 1, data: mem.toJSON() });
  return gzipSync(`00000000 ${json}\n`, { level: 1 }).length;
}
