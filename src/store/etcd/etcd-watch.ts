import type { IncomingMessage } from "node:http";
import { EtcdCallError } from "./etcd-http.js";

/** One change heard on a watch: a put (with its value) or a delete, at `modRevision`. */
export interface EtcdEvent {
  type: "put" | "del";
  key: string;
  value: string;
  modRevision: number;
}

/** What a watch tells its owner. */
export interface WatchHandlers {
  /** Every event of one or more whole revisions, in revision order; `revision` is the store's after them. */
  onEvents: (events: EtcdEvent[], revision: number) => void;
  /**
   * A failure: a broken stream (the watch opens again by itself) or, with `compactedTo`, a start revision
   * etcd no longer has (the watch has stopped: the owner reloads and watches again).
   */
  onError: (err: Error, compactedTo?: number) => void;
  /** The stream is open (again) and etcd confirmed it. */
  onOpen?: () => void;
}

/** How the watch reaches etcd (the client's endpoints and auth). */
export interface WatchTransport {
  open: (body: unknown) => Promise<IncomingMessage>;
  onAuthError: () => void;
  /** A stream broke: the next one goes to another endpoint (this one may be cut off from the leader). */
  onStreamError: () => void;
}

/** A line of the gateway's watch stream is one JSON object; a hostile or broken peer must not grow it unbounded. */
const MAX_LINE = 16 * 1024 * 1024;

interface RawEvent {
  type?: string;
  kv?: { key?: string; value?: string; mod_revision?: string };
}

interface WatchLine {
  result?: {
    header?: { revision?: string };
    created?: boolean;
    canceled?: boolean;
    compact_revision?: string;
    cancel_reason?: string;
    events?: RawEvent[];
  };
  error?: { message?: string; grpc_code?: number; http_code?: number } | string;
}

const unb64 = (s: string | undefined) => (s ? Buffer.from(s, "base64").toString("utf8") : "");

/**
 * Runs a watch that reopens itself (back-off 100 ms to 2 s) from the last revision it heard, which is heard
 * again (the owner skips revisions it applied). Why not the one after: etcd compacted at exactly the start
 * revision answers no error but leaves out that revision's deletes (their tombstones are gone); starting one
 * earlier turns that case into a compaction error, and the owner reloads.
 */
export function watchStream(
  t: WatchTransport,
  range: { key: string; range_end: string },
  fromRev: number,
  h: WatchHandlers,
): () => void {
  let next = fromRev;
  let stopped = false;
  let res: IncomingMessage | undefined;
  let delay = 100;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;

  const retry = (err: Error) => {
    res = undefined;
    if (stopped) return;
    t.onStreamError();
    h.onError(err);
    timer = setTimeout(run, delay);
    delay = Math.min(delay * 2, 2000);
  };

  const run = async () => {
    if (stopped) return;
    try {
      res = await t.open({ create_request: { ...range, start_revision: next, progress_notify: true } });
    } catch (err) {
      retry(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (stopped) return void res.destroy();
    res.socket?.setKeepAlive(true, 1000);
    let buf = "";
    ended = false;
    const end = (err: Error) => {
      if (ended) return;
      ended = true;
      res?.destroy();
      retry(err);
    };
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) return end(new EtcdCallError("reset", "watch: a line beyond 16 MiB"));
      let nl: number;
      while (!ended && (nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) handle(line, end);
      }
    });
    res.on("end", () => end(new EtcdCallError("reset", "watch stream ended")));
    res.on("error", (err) => end(err));
    // A connection that dies under the response may end it with neither 'end' nor 'error'.
    res.on("close", () => end(new EtcdCallError("reset", "watch connection closed")));
  };

  const handle = (line: string, end: (err: Error) => void) => {
    let msg: WatchLine;
    try {
      msg = JSON.parse(line) as WatchLine;
    } catch {
      return end(new EtcdCallError("reset", "watch: a line that is not JSON"));
    }
    if (msg.error !== undefined) {
      const text = typeof msg.error === "string" ? msg.error : (msg.error.message ?? "watch error");
      if (/auth token/.test(text)) t.onAuthError();
      return end(new EtcdCallError("server", text));
    }
    const r = msg.result;
    if (!r) return;
    if (r.compact_revision && Number(r.compact_revision) > 0) {
      stopped = true;
      ended = true;
      res?.destroy();
      h.onError(
        new Error(`watch: revision ${next} was compacted (to ${r.compact_revision})`),
        Number(r.compact_revision),
      );
      return;
    }
    if (r.canceled) return end(new EtcdCallError("server", `watch canceled: ${r.cancel_reason ?? ""}`));
    if (r.created) {
      delay = 100;
      h.onOpen?.();
    }
    const events = (r.events ?? []).map((e): EtcdEvent => ({
      type: e.type === "DELETE" ? "del" : "put",
      key: unb64(e.kv?.key),
      value: unb64(e.kv?.value),
      modRevision: Number(e.kv?.mod_revision ?? 0),
    }));
    const revision = Number(r.header?.revision ?? 0);
    if (events.length > 0) {
      next = events[events.length - 1]?.modRevision ?? next;
      h.onEvents(events, revision);
    } else if (revision > 0 && !r.created) h.onEvents([], revision); // a progress notice
  };

  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
    res?.destroy();
  };
}
