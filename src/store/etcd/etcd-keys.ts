import type { StoreOp } from "../store.js";
import type { EtcdClient, EtcdKv } from "./etcd-client.js";

/** Where one value lives in etcd: `<prefix>/<collection>/<id>`. */
export function keyOf(prefix: string, collection: string, id: string): string {
  return `${prefix}/${collection}/${id}`;
}

/**
 * The collection and id of a key under `prefix`, or undefined for a key that holds no store value: the
 * store's own bookkeeping (`_`-named: commit markers, leaders, the shared secret) or anything malformed.
 */
export function parseKey(prefix: string, key: string): { collection: string; id: string } | undefined {
  if (!key.startsWith(`${prefix}/`)) return undefined;
  const rest = key.slice(prefix.length + 1);
  const slash = rest.indexOf("/");
  if (slash <= 0 || rest.startsWith("_")) return undefined;
  return { collection: rest.slice(0, slash), id: rest.slice(slash + 1) };
}

/**
 * A commit's ops with only the last op on each key (etcd refuses a txn that names a key twice; the last
 * op on a key decides what it holds, so the outcome is the same).
 */
export function lastPerKey(ops: readonly StoreOp[]): StoreOp[] {
  const last = new Map<string, StoreOp>();
  for (const o of ops) {
    const k = `${o.collection}\u0000${o.id}`;
    last.delete(k);
    last.set(k, o);
  }
  return [...last.values()];
}

/** Every kv under `prefix` as of one revision, read in pages (a large store never comes in one answer). */
export async function rangeAll(
  client: EtcdClient,
  prefix: string,
  pageSize = 1000,
): Promise<{ kvs: EtcdKv[]; revision: number }> {
  const first = await client.range(`${prefix}/`, { prefix: true, limit: pageSize });
  const kvs = [...first.kvs];
  let more = first.more;
  while (more) {
    const from = `${kvs[kvs.length - 1]?.key ?? ""}\u0000`;
    const page = await client.range(`${prefix}/`, {
      prefix: true,
      fromKey: from,
      limit: pageSize,
      revision: first.revision,
    });
    kvs.push(...page.kvs);
    more = page.more;
  }
  return { kvs, revision: first.revision };
}
