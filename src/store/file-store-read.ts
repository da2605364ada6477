import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { EnforcerError } from "../domain/errors.js";
import { scanJournal } from "./journal-codec.js";
import { fromJournal } from "./journal-ops.js";
import { readSnapshot } from "./snapshot-file.js";
import { Collections } from "./store.js";

/** Every record of a store, by collection then id. */
export type StoreRecords = ReadonlyMap<string, ReadonlyMap<string, unknown>>;

/**
 * Reads a file store's directory as a start would (snapshot, then the journal replayed over it) but writes
 * nothing: no lock is taken, no mode tightened, a torn tail is skipped rather than cut off, a damaged line
 * refuses. `store copy` reads its source and checks its target with it; the caller holds the LOCK so no
 * server starts on the directory meanwhile.
 */
export async function readFileStore(dir: string): Promise<StoreRecords> {
  const mem = new Collections();
  const current = (collection: string, id: string): unknown => mem.map(collection).get(id);
  const gen = await readSnapshot(join(dir, "snapshot.json"), (c, id, value) => mem.map(c).set(id, value));
  const path = join(dir, `journal-${gen ?? 0}.log`);
  const buf = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return Buffer.alloc(0);
    throw new EnforcerError("ENF_ERR_STORE_IO", `cannot read ${path}: ${err.message}`);
  });
  const scan = scanJournal(buf, (entries) => mem.apply(fromJournal(entries, current)));
  if (scan.damagedAt) {
    throw new EnforcerError(
      "ENF_ERR_STORE_CORRUPT",
      `${path} is damaged at line ${scan.damagedAt.line} (byte ${scan.damagedAt.byte}); start a server on it ` +
        `once with --store-recover, stop it, and copy again`,
      { path, ...scan.damagedAt },
    );
  }
  return mem.frozen();
}
