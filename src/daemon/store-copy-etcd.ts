import { readFileSync } from "node:fs";
import { EnforcerError } from "../domain/errors.js";
import { COLLECTIONS } from "../store/collections.js";
import { EtcdClient, type EtcdTxnOp } from "../store/etcd/etcd-client.js";
import { keyOf, parseKey } from "../store/etcd/etcd-keys.js";
import type { StoreRecords } from "../store/file-store-read.js";
import { copyRecords } from "../store/store-copy.js";
import type { StoreOp } from "../store/store.js";
import type { CopyEnd } from "./store-copy-ends.js";

/** How to reach etcd, as `serve` takes it. */
export interface EtcdCopyOptions {
  prefix?: string;
  etcdCa?: string;
  etcdCert?: string;
  etcdKey?: string;
  etcdUser?: string;
  etcdPasswordFile?: string;
}

const KNOWN = new Set<string>(Object.values(COLLECTIONS));

/** Keys one range call reads: pages keep each answer small on a Pi. */
const PAGE = 500;
/** etcd's --max-txn-ops default: the most ops a txn may hold unless the cluster was started with more. */
const MAX_TXN_OPS = 128;

/**
 * An etcd cluster under a key prefix: records are `<prefix>/<collection>/<id>` holding the value's JSON
 * text (what `serve --store etcd://…` reads). Read by pages at one revision, so the copy is of one moment
 * even while instances write; written and cleared by txns of at most 128 ops.
 */
export function etcdEnd(spec: string, o: EtcdCopyOptions): CopyEnd {
  const endpoints = spec
    .replace(/^etcd:\/\//i, "")
    .split(",")
    .map((e) => e.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  if (endpoints.length === 0)
    throw new EnforcerError(
      "ENF_ERR_SETTINGS_INVALID",
      `${spec} names no etcd endpoint (etcd://host:2379,…)`,
    );
  const prefix = (o.prefix ?? "/enforcer").replace(/\/+$/, "");
  if (!/^\/[A-Za-z0-9._/-]*$/.test(o.prefix ?? "/enforcer"))
    throw new EnforcerError(
      "ENF_ERR_SETTINGS_INVALID",
      `--prefix must be a path like /enforcer (got ${o.prefix})`,
    );
  const file = (path: string | undefined) => (path ? readFileSync(path, "utf8") : undefined);
  const tls =
    o.etcdCa || o.etcdCert || o.etcdKey
      ? { ca: file(o.etcdCa), cert: file(o.etcdCert), key: file(o.etcdKey) }
      : undefined;
  const client = new EtcdClient({
    endpoints,
    tls,
    user: o.etcdUser,
    password: file(o.etcdPasswordFile)?.split(/\r?\n/)[0], // its first line, as serve reads it
    timeoutMs: 10_000,
  });
  const key = (collection: string, id: string) => keyOf(prefix, collection, id);
  const read = async (only?: readonly string[]): Promise<Map<string, Map<string, unknown>>> => {
    const out = new Map<string, Map<string, unknown>>();
    let revision: number | undefined;
    let fromKey: string | undefined;
    for (;;) {
      const page = await client.range(`${prefix}/`, { prefix: true, limit: PAGE, fromKey, revision });
      revision ??= page.revision;
      for (const kv of page.kvs) {
        const at = parseKey(prefix, kv.key); // not a record: the store's own bookkeeping (markers, leaders)
        if (!at || (only && !only.includes(at.collection))) continue;
        let m = out.get(at.collection);
        if (!m) out.set(at.collection, (m = new Map()));
        // Only what a copy moves is parsed: other collections under the prefix are counted ("skipped").
        m.set(at.id, only || !KNOWN.has(at.collection) ? null : parse(kv.key, kv.value));
      }
      const last = page.kvs.at(-1);
      if (!page.more || !last) return out;
      fromKey = `${last.key}\0`;
    }
  };
  const txn = async (ops: EtcdTxnOp[]) => {
    const r = await client.txn([], ops);
    if (!r.succeeded) throw new EnforcerError("ENF_ERR_STORE_IO", `etcd refused a txn of ${ops.length} ops`);
  };
  return {
    where: `etcd://${endpoints.join(",")}${prefix}`,
    read: () => read(),
    async held(names) {
      return [...(await read(names)).values()].reduce((n, m) => n + m.size, 0);
    },
    async clear(names) {
      const ids = await read(names);
      const dels: EtcdTxnOp[] = [];
      for (const [collection, m] of ids)
        for (const id of m.keys()) dels.push({ del: { key: key(collection, id) } });
      for (let i = 0; i < dels.length; i += MAX_TXN_OPS) await txn(dels.slice(i, i + MAX_TXN_OPS));
    },
    async write(records: StoreRecords, names) {
      const target = {
        commit: (ops: StoreOp[]) =>
          txn(
            ops.map((op) =>
              op.op === "put"
                ? { put: { key: key(op.collection, op.id), value: JSON.stringify(op.value) } }
                : { del: { key: key(op.collection, op.id) } },
            ),
          ),
      };
      return copyRecords(records, names, target, { maxOpsPerCommit: MAX_TXN_OPS });
    },
    release: () => client.close(),
  };
}

function parse(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new EnforcerError("ENF_ERR_STORE_CORRUPT", `etcd key ${key} does not hold JSON`, { key });
  }
}
