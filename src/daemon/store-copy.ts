import { EnforcerError } from "../domain/errors.js";
import { COLLECTIONS } from "../store/collections.js";
import { digestRecords, type CollectionDigest } from "../store/record-digest.js";
import { targetNotEmpty } from "../store/store-copy.js";
import { fileEnd, type CopyEnd } from "./store-copy-ends.js";
import { etcdEnd, type EtcdCopyOptions } from "./store-copy-etcd.js";

/** The options of `enforcer store copy`, as commander hands them over. */
export interface StoreCopyOptions extends EtcdCopyOptions {
  from: string;
  to: string;
  force?: boolean;
}

/** Every collection Enforcer keeps: what a copy moves, and what `--force` clears on the target. */
const NAMES: readonly string[] = Object.values(COLLECTIONS);

/**
 * `enforcer store copy`: reads every record of the source, refuses a target that holds Enforcer data unless
 * `force` (then removes that data first), writes the records in bounded commits, reads the target back and
 * compares each collection's count and digest with the source's. Prints one line per collection.
 */
export async function storeCopy(o: StoreCopyOptions, out: (line: string) => void): Promise<void> {
  const from = copyEnd(o.from, o, "source");
  const to = copyEnd(o.to, o, "target");
  try {
    if (from.where === to.where)
      throw new EnforcerError(
        "ENF_ERR_SETTINGS_INVALID",
        `--from and --to are the same store (${from.where})`,
      );
    const source = await from.read();
    for (const [name, m] of source)
      if (!NAMES.includes(name) && m.size > 0)
        out(`skipped: ${m.size} records of "${name}", a collection this version of Enforcer does not know`);
    const held = await to.held(NAMES);
    if (held > 0) {
      if (!o.force) throw targetNotEmpty(to.where, held);
      await to.clear(NAMES);
    }
    const started = performance.now();
    const copied = await to.write(source, NAMES);
    const ms = Math.round(performance.now() - started);
    const expected = digestRecords(source, NAMES);
    const found = digestRecords(await to.read(), NAMES);
    const differ = NAMES.filter((n) => !same(expected.get(n), found.get(n)));
    if (differ.length > 0)
      throw new EnforcerError(
        "ENF_ERR_STORE_COPY_MISMATCH",
        `${to.where} does not read back as ${from.where} in ${differ.join(", ")}; run the copy again with --force`,
        { collections: differ },
      );
    for (const [name, d] of expected)
      if (d.records > 0)
        out(`${name.padEnd(16)} ${String(d.records).padStart(8)}  sha256:${d.sha256.slice(0, 16)}`);
    out(
      `copied ${copied.records} records in ${copied.commits} commits from ${from.where} to ${to.where} ` +
        `in ${ms} ms; read back: every collection's count and SHA-256 match`,
    );
  } finally {
    from.release();
    to.release();
  }
}

function same(a: CollectionDigest | undefined, b: CollectionDigest | undefined): boolean {
  return a?.records === b?.records && a?.sha256 === b?.sha256;
}

/** The end a `--from`/`--to` value names: `etcd://…` or a data directory (as `serve --data`). */
function copyEnd(spec: string, o: StoreCopyOptions, role: "source" | "target"): CopyEnd {
  return /^etcd:\/\//i.test(spec) ? etcdEnd(spec, o) : fileEnd(spec, role);
}
