import { connect, type Socket } from "node:net";
import { decodeMultiStream, encode } from "@msgpack/msgpack";
import { EnforcerError } from "../../domain/errors.js";
import { toMember, type SerfMember, type WireMember } from "./members.js";

/** Where the serf agent's RPC listens, and its `rpc_auth` key if it has one. */
export interface SerfRpcOptions {
  host: string;
  port: number;
  authKey?: string;
  /** Connect and handshake timeout (default 3000 ms). */
  timeoutMs?: number;
}

/** A query to run through the agent (serf's `query` command). */
export interface SerfQuery {
  name: string;
  payload?: Uint8Array | string;
  /** Exact node names; empty for all. */
  nodes?: string[];
  /** Tag regexes, evaluated unanchored by the nodes themselves. */
  tags?: Record<string, string>;
  requestAck?: boolean;
  /** How long the query runs; serf always waits this long before `done`. */
  timeoutMs: number;
}

/** What a query brought back by its deadline. */
export interface SerfQueryResult {
  acks: string[];
  responses: { from: string; payload: Uint8Array }[];
}

type Header = { Seq: number; Error: string };
type Waiter = { expectBody: boolean; resolve: (body: unknown) => void; reject: (e: Error) => void };
type Subscription = { acked: boolean; onRecord: (body: Record<string, unknown>) => void; started: Waiter };

/**
 * A client for serf's agent RPC ("IPC", protocol version 1): a TCP stream of concatenated msgpack objects.
 * A response is a header `{Seq, Error}` and maybe one body; which responses carry a body is known only from
 * the request, so the client remembers it per sequence number. `stream` and `query` keep their sequence
 * number alive: after the first header (the acknowledgement), every header carries one record.
 */
export class SerfRpc {
  private seq = 0;
  private readonly waiting = new Map<number, Waiter>();
  private readonly subs = new Map<number, Subscription>();
  private bodyFor: number | null = null;
  /** Streams we stopped: records already on the way still carry a body, which must be skipped. */
  private readonly stopped = new Set<number>();
  private closed: Error | null = null;

  private constructor(private readonly socket: Socket) {}

  /** Connects, performs the handshake and, when a key is given, authenticates. */
  static async connect(o: SerfRpcOptions): Promise<SerfRpc> {
    const where = `${o.host}:${o.port}`;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: o.host, port: o.port });
      const timer = setTimeout(() => s.destroy(new Error("timed out")), o.timeoutMs ?? 3000);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once("error", (err) => {
        clearTimeout(timer);
        reject(
          new EnforcerError("ENF_ERR_SERF_CONNECTION", `cannot reach serf RPC at ${where}: ${err.message}`, {
            where,
          }),
        );
      });
    });
    socket.setNoDelay(true);
    const rpc = new SerfRpc(socket);
    void rpc.readLoop(where);
    await rpc.call("handshake", { Version: 1 }, false);
    if (o.authKey !== undefined) await rpc.call("auth", { AuthKey: o.authKey }, false);
    return rpc;
  }

  /** All members the agent knows, including failed and left ones until serf reaps them. */
  async members(): Promise<SerfMember[]> {
    const body = (await this.call("members", undefined, true)) as { Members: WireMember[] };
    return body.Members.map(toMember);
  }

  /** Fires a user event to every member (best effort gossip; no reply). */
  async event(name: string, payload: Uint8Array | string, coalesce = false): Promise<void> {
    await this.call("event", { Name: name, Payload: bytes(payload), Coalesce: coalesce }, false);
  }

  /** Runs a query and collects acks and responses until serf says `done` at the deadline. */
  async query(
    q: SerfQuery,
    onResponse?: (from: string, payload: Uint8Array) => void,
  ): Promise<SerfQueryResult> {
    const result: SerfQueryResult = { acks: [], responses: [] };
    return new Promise<SerfQueryResult>((resolve, reject) => {
      const seq = this.subscribe(
        "query",
        {
          FilterNodes: q.nodes ?? [],
          FilterTags: q.tags ?? {},
          RequestAck: q.requestAck ?? false,
          RelayFactor: 0,
          Timeout: q.timeoutMs * 1_000_000, // a Go time.Duration: nanoseconds
          Name: q.name,
          Payload: bytes(q.payload ?? ""),
        },
        (r) => {
          const from = String(r.From ?? "");
          if (r.Type === "ack") {
            // Under load serf has streamed an ack with no From before the node's own (seen in CI): a nameless
            // ack acknowledges nobody, and a node acks once however often gossip repeats it.
            if (from && !result.acks.includes(from)) result.acks.push(from);
          } else if (r.Type === "response") {
            // A node answers once; a copy relayed or re-sent through gossip is not a second answer.
            if (result.responses.some((x) => x.from === from)) return;
            const payload = (r.Payload as Uint8Array | null) ?? new Uint8Array();
            result.responses.push({ from, payload });
            onResponse?.(from, payload);
          } else if (r.Type === "done") {
            this.subs.delete(seq);
            resolve(result);
          }
        },
      );
      this.subs.get(seq)!.started.reject = (e) => {
        this.subs.delete(seq);
        reject(e);
      };
    });
  }

  /** Subscribes to events (`member-join`, `user:reboot`, `query:inventory`, `*`...); answers the stream's seq. */
  async stream(type: string, onRecord: (r: Record<string, unknown>) => void): Promise<number> {
    const seq = this.subscribe("stream", { Type: type }, onRecord);
    await new Promise<void>((resolve, reject) => {
      const sub = this.subs.get(seq)!;
      sub.started.resolve = () => resolve();
      sub.started.reject = (e) => {
        this.subs.delete(seq);
        reject(e);
      };
    });
    return seq;
  }

  /** Answers a query received on this connection's stream (once per query, before its deadline). */
  async respond(id: number, payload: Uint8Array | string): Promise<void> {
    await this.call("respond", { ID: id, Payload: bytes(payload) }, false);
  }

  /** Ends a stream subscription. */
  async stop(streamSeq: number): Promise<void> {
    this.subs.delete(streamSeq);
    this.stopped.add(streamSeq);
    await this.call("stop", { Stop: streamSeq }, false);
  }

  /** Closes the connection; pending calls fail. */
  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private call(command: string, body: unknown, expectBody: boolean): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed);
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { expectBody, resolve, reject });
      this.send(command, seq, body);
    });
  }

  private subscribe(command: string, body: unknown, onRecord: Subscription["onRecord"]): number {
    const seq = this.seq++;
    const started: Waiter = { expectBody: false, resolve: () => {}, reject: () => {} };
    this.subs.set(seq, { acked: false, onRecord, started });
    if (this.closed) queueMicrotask(() => started.reject(this.closed!));
    else this.send(command, seq, body);
    return seq;
  }

  private send(command: string, seq: number, body: unknown): void {
    const header = encode({ Command: command, Seq: seq });
    // Never a body for commands that take none: the agent would read it as the next header.
    this.socket.write(body === undefined ? header : Buffer.concat([header, encode(body)]));
  }

  private async readLoop(where: string): Promise<void> {
    try {
      for await (const obj of decodeMultiStream(this.socket)) this.dispatch(obj);
      this.fail(
        new EnforcerError("ENF_ERR_SERF_CONNECTION", `serf RPC at ${where} closed the connection`, { where }),
      );
    } catch (err) {
      this.fail(
        new EnforcerError("ENF_ERR_SERF_CONNECTION", `serf RPC at ${where}: ${(err as Error).message}`, {
          where,
        }),
      );
    }
  }

  private dispatch(obj: unknown): void {
    if (this.bodyFor !== null) {
      const seq = this.bodyFor;
      this.bodyFor = null;
      const w = this.waiting.get(seq);
      if (w) {
        this.waiting.delete(seq);
        w.resolve(obj);
      } else this.subs.get(seq)?.onRecord(obj as Record<string, unknown>);
      return;
    }
    const h = obj as Header;
    const w = this.waiting.get(h.Seq);
    if (w) {
      if (h.Error) {
        this.waiting.delete(h.Seq);
        w.reject(new EnforcerError("ENF_ERR_SERF_RPC", `serf: ${h.Error}`, { error: h.Error }));
      } else if (w.expectBody) this.bodyFor = h.Seq;
      else {
        this.waiting.delete(h.Seq);
        w.resolve(undefined);
      }
      return;
    }
    const sub = this.subs.get(h.Seq);
    if (!sub) {
      if (this.stopped.has(h.Seq)) this.bodyFor = h.Seq; // a late record of a stopped stream: skip its body
      return;
    }
    if (!sub.acked) {
      sub.acked = true;
      if (h.Error)
        sub.started.reject(new EnforcerError("ENF_ERR_SERF_RPC", `serf: ${h.Error}`, { error: h.Error }));
      else sub.started.resolve(undefined);
      return;
    }
    this.bodyFor = h.Seq;
  }

  private fail(err: Error): void {
    this.closed = err;
    for (const w of this.waiting.values()) w.reject(err);
    for (const s of this.subs.values()) s.started.reject(err);
    this.waiting.clear();
    this.subs.clear();
  }
}

function bytes(p: Uint8Array | string): Uint8Array {
  return typeof p === "string" ? new TextEncoder().encode(p) : p;
}
