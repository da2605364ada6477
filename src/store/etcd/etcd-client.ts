import { EtcdCallError, EtcdEndpoint, type EtcdTls } from "./etcd-http.js";
import { watchStream, type WatchHandlers } from "./etcd-watch.js";

export { EtcdCallError, isUnavailable, type EtcdTls } from "./etcd-http.js";
export type { EtcdEvent } from "./etcd-watch.js";

/** How to reach etcd. */
export interface EtcdClientOptions {
  /** `host:port` or `http(s)://host:port`, tried in order; the client stays on one that answers. */
  endpoints: string[];
  /** CA, client certificate and key (PEM text); with any of them, bare `host:port` endpoints use https. */
  tls?: EtcdTls;
  user?: string;
  password?: string;
  /** Per request (default 2000 ms): after it, another endpoint is tried (reads) or the call fails. */
  timeoutMs?: number;
}

/** A key's value and revisions, keys and values as text (etcd's bytes, UTF-8). */
export interface EtcdKv {
  key: string;
  value: string;
  modRevision: number;
  createRevision: number;
  version: number;
}

/** A txn condition: the key's mod revision, or its version (0: absent), equals this. */
export type EtcdCompare = { key: string; modRevision: number } | { key: string; version: number };

/** A txn operation. */
export type EtcdTxnOp =
  | { put: { key: string; value: string; lease?: string } }
  | { del: { key: string } }
  | { range: { key: string } };

/** A txn's outcome: whether the compares held, and the store revision after it. */
export interface EtcdTxnResult {
  succeeded: boolean;
  revision: number;
  /** For each `range` op of the branch that ran, the kvs it read. */
  ranges: EtcdKv[][];
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, "base64").toString("utf8") : "");

/** The end of the key range that holds every key starting with `prefix` (its last byte plus one). */
export function prefixEnd(prefix: string): string {
  const buf = Buffer.from(prefix, "utf8");
  for (let i = buf.length - 1; i >= 0; i--) {
    const byte = buf[i] ?? 0xff;
    if (byte < 0xff) {
      const end = Buffer.from(buf.subarray(0, i + 1));
      end[i] = byte + 1;
      return end.toString("base64");
    }
  }
  return Buffer.from([0]).toString("base64");
}

interface RawKv {
  key?: string;
  value?: string;
  mod_revision?: string;
  create_revision?: string;
  version?: string;
}

/** Reads a gateway kv (base64 bytes, int64 as strings). */
export function kvFrom(raw: RawKv): EtcdKv {
  return {
    key: unb64(raw.key),
    value: unb64(raw.value),
    modRevision: Number(raw.mod_revision ?? 0),
    createRevision: Number(raw.create_revision ?? 0),
    version: Number(raw.version ?? 0),
  };
}

interface Header {
  header?: { revision?: string };
}

/**
 * etcd's v3 API over its JSON gateway (HTTP/1.1, no dependency): ranges, txns, watches, leases, auth.
 * Several endpoints: a call that cannot connect goes to the next one and the client stays there.
 */
export class EtcdClient {
  private readonly endpoints: EtcdEndpoint[];
  private current = 0;
  private token: string | undefined;
  private authenticating: Promise<string> | undefined;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(private readonly opts: EtcdClientOptions) {
    if (opts.endpoints.length === 0) throw new Error("etcd: no endpoint");
    const scheme = opts.tls ? "https" : "http";
    this.endpoints = opts.endpoints.map(
      (e) => new EtcdEndpoint(/^https?:\/\//.test(e) ? e : `${scheme}://${e}`, opts.tls),
    );
    this.timeoutMs = opts.timeoutMs ?? 2000;
  }

  /** The endpoint calls go to now. */
  get endpoint(): string {
    return this.at().url;
  }

  /** Keys from `key` (with `prefix`, every key under it), at most `limit`, in key order. */
  async range(
    key: string,
    o: { prefix?: boolean; fromKey?: string; limit?: number; revision?: number; serializable?: boolean } = {},
  ): Promise<{ kvs: EtcdKv[]; more: boolean; revision: number }> {
    const r = (await this.call(
      "/v3/kv/range",
      {
        key: b64(o.fromKey ?? key),
        range_end: o.prefix ? prefixEnd(key) : undefined,
        limit: o.limit,
        revision: o.revision,
        serializable: o.serializable,
      },
      true,
    )) as Header & { kvs?: RawKv[]; more?: boolean };
    return {
      kvs: (r.kvs ?? []).map(kvFrom),
      more: r.more === true,
      revision: Number(r.header?.revision ?? 0),
    };
  }

  /** One transaction: if every compare holds, `success` runs, else `failure`. Not retried after sending. */
  async txn(compare: EtcdCompare[], success: EtcdTxnOp[], failure: EtcdTxnOp[] = []): Promise<EtcdTxnResult> {
    const r = (await this.call(
      "/v3/kv/txn",
      { compare: compare.map(compareJson), success: success.map(opJson), failure: failure.map(opJson) },
      false,
    )) as Header & { succeeded?: boolean; responses?: { response_range?: { kvs?: RawKv[] } }[] };
    const ranges = (r.responses ?? []).flatMap((x) =>
      x.response_range ? [(x.response_range.kvs ?? []).map(kvFrom)] : [],
    );
    return { succeeded: r.succeeded === true, revision: Number(r.header?.revision ?? 0), ranges };
  }

  /** Grants a lease of `ttlS` seconds; its id is int64 text (it may not fit a JS number). */
  async leaseGrant(ttlS: number): Promise<{ id: string; ttl: number }> {
    const r = (await this.call("/v3/lease/grant", { TTL: ttlS }, true)) as { ID: string; TTL: string };
    return { id: r.ID, ttl: Number(r.TTL) };
  }

  /** Renews a lease once; answers its TTL now (0: it expired or was revoked). */
  async leaseKeepAlive(id: string): Promise<number> {
    const r = (await this.call("/v3/lease/keepalive", { ID: id }, true)) as { result?: { TTL?: string } };
    return Number(r.result?.TTL ?? 0);
  }

  /** Revokes a lease: the keys attached to it go at once. */
  async leaseRevoke(id: string): Promise<void> {
    await this.call("/v3/lease/revoke", { ID: id }, true).catch((err: unknown) => {
      if (err instanceof EtcdCallError && /lease not found/.test(err.message)) return;
      throw err;
    });
  }

  /**
   * Watches every key under `prefix` from revision `fromRev`: `onEvents` hears each revision's events in
   * order. Give the last revision you have applied, not the one after, and skip what you applied: etcd
   * compacted at exactly the start revision leaves out its deletes without an error. A broken stream is
   * opened again (next endpoint) from the last revision heard (heard again); `onError` hears each failure,
   * and a compacted start revision last (the watch then stops: reload).
   */
  watch(prefix: string, fromRev: number, h: WatchHandlers): () => void {
    return watchStream(
      {
        open: async (body) => {
          // hasleader: a member cut off from the leader ends the watch (etcd's WithRequireLeader) instead
          // of keeping it open and silent while the others go on without it.
          const headers = { ...(await this.headers()), "grpc-metadata-hasleader": "true" };
          return this.at().stream("/v3/watch", body, headers, this.timeoutMs);
        },
        onAuthError: () => (this.token = undefined),
        onStreamError: () => this.next(),
      },
      { key: b64(prefix), range_end: prefixEnd(prefix) },
      fromRev,
      h,
    );
  }

  /**
   * Asks every endpoint for one linearizable read of `key` (it needs the cluster's quorum): which answered,
   * in how many ms, or why not. The store's health comes from it.
   */
  async probeEach(key: string, timeoutMs: number): Promise<{ url: string; ms: number; error?: string }[]> {
    const body = { key: b64(key), limit: 1, keys_only: true };
    return Promise.all(
      this.endpoints.map(async (ep) => {
        const t = performance.now();
        try {
          await ep.post("/v3/kv/range", body, await this.headers(), timeoutMs);
          return { url: ep.url, ms: performance.now() - t };
        } catch (err) {
          return { url: ep.url, ms: performance.now() - t, error: (err as Error).message };
        }
      }),
    );
  }

  /** Ends keep-alive sockets; calls after it fail. */
  close(): void {
    this.closed = true;
    for (const e of this.endpoints) e.close();
  }

  private at(): EtcdEndpoint {
    return this.endpoints[this.current] as EtcdEndpoint;
  }

  private next(): void {
    this.current = (this.current + 1) % this.endpoints.length;
  }

  private async headers(): Promise<Record<string, string>> {
    if (this.opts.user === undefined) return {};
    this.token ??= await (this.authenticating ??= this.authenticate().finally(
      () => (this.authenticating = undefined),
    ));
    return { authorization: this.token };
  }

  private async authenticate(): Promise<string> {
    const r = (await this.send(
      "/v3/auth/authenticate",
      { name: this.opts.user, password: this.opts.password ?? "" },
      {},
      true,
    )) as { token?: string };
    if (!r.token) throw new EtcdCallError("server", "etcd gave no auth token (is auth enabled?)");
    return r.token;
  }

  /** A call with auth: an expired token is renewed once. */
  private async call(path: string, body: unknown, idempotent: boolean): Promise<unknown> {
    if (this.closed) throw new EtcdCallError("connect", "etcd client closed");
    for (let attempt = 0; ; attempt++) {
      const headers = await this.headers();
      try {
        return await this.send(path, body, headers, idempotent);
      } catch (err) {
        if (
          attempt === 0 &&
          err instanceof EtcdCallError &&
          /invalid auth token|auth token is not provided/.test(err.message)
        ) {
          this.token = undefined;
          continue;
        }
        throw err;
      }
    }
  }

  /** Tries each endpoint from the current one while nothing was sent (or, for reads, on a timeout too). */
  private async send(
    path: string,
    body: unknown,
    headers: Record<string, string>,
    idempotent: boolean,
  ): Promise<unknown> {
    let last: unknown;
    for (let i = 0; i < this.endpoints.length; i++) {
      const ep = this.at();
      try {
        return await ep.post(path, body, headers, this.timeoutMs);
      } catch (err) {
        last = err;
        if (!(err instanceof EtcdCallError)) throw err;
        const retry = err.failure === "connect" || (idempotent && err.failure !== "server");
        if (!retry) throw err;
        this.next();
      }
    }
    throw last;
  }
}

function compareJson(c: EtcdCompare): unknown {
  return "modRevision" in c
    ? { key: b64(c.key), target: "MOD", result: "EQUAL", mod_revision: c.modRevision }
    : { key: b64(c.key), target: "VERSION", result: "EQUAL", version: c.version };
}

function opJson(o: EtcdTxnOp): unknown {
  if ("put" in o)
    return { request_put: { key: b64(o.put.key), value: b64(o.put.value), lease: o.put.lease } };
  if ("del" in o) return { request_delete_range: { key: b64(o.del.key) } };
  return { request_range: { key: b64(o.range.key) } };
}
