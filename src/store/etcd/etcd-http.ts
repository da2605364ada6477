import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/** TLS material for etcd's client port (PEM text, read by the caller). */
export interface EtcdTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * Why a call failed. `connect`: nothing was sent (refused, unreachable, TLS refused): safe to try another
 * endpoint. `timeout`/`reset`: the request may have reached etcd: a write may have applied. `server`: etcd
 * answered with an error (`grpcCode`, etcd's message).
 */
export type EtcdFailure = "connect" | "timeout" | "reset" | "server";

/** A failed etcd call, with what is known about whether it was applied. */
export class EtcdCallError extends Error {
  constructor(
    readonly failure: EtcdFailure,
    message: string,
    readonly grpcCode?: number,
  ) {
    super(message);
  }
}

/** Codes and messages from etcd that mean "no quorum / try later" rather than "your request is wrong". */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof EtcdCallError)) return false;
  if (err.failure !== "server") return true;
  // 14 Unavailable, 4 DeadlineExceeded; etcd 3.4 also says so in words.
  return (
    err.grpcCode === 14 ||
    err.grpcCode === 4 ||
    /request timed out|no leader|leader changed|too many requests/.test(err.message)
  );
}

const CONNECT_CODES = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EADDRNOTAVAIL",
]);

/** One HTTP transport to one etcd endpoint (keep-alive, TLS when the URL is https). */
export class EtcdEndpoint {
  private readonly agent: HttpAgent;
  private readonly secure: boolean;
  private readonly host: string;
  private readonly port: number;

  constructor(
    readonly url: string,
    tls: EtcdTls | undefined,
  ) {
    const u = new URL(url);
    this.secure = u.protocol === "https:";
    this.host = u.hostname;
    this.port = Number(u.port || 2379);
    this.agent = this.secure
      ? new HttpsAgent({ keepAlive: true, maxSockets: 64, ca: tls?.ca, cert: tls?.cert, key: tls?.key })
      : new HttpAgent({ keepAlive: true, maxSockets: 64 });
  }

  /** Posts JSON to a gateway path and parses the JSON answer; rejects with an EtcdCallError. */
  async post(
    path: string,
    body: unknown,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<unknown> {
    const res = await this.open(path, body, headers, timeoutMs, true);
    return readJson(res);
  }

  /** Posts a streaming call (watch): the response, its body still to read, with no timeout on it. */
  stream(
    path: string,
    body: unknown,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<IncomingMessage> {
    return this.open(path, body, headers, timeoutMs, false);
  }

  /** Ends the keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  private open(
    path: string,
    body: unknown,
    headers: Record<string, string>,
    timeoutMs: number,
    bounded: boolean,
  ): Promise<IncomingMessage> {
    const data = JSON.stringify(body);
    const request = this.secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let sent = false;
      const req = request({
        host: this.host,
        port: this.port,
        path,
        method: "POST",
        agent: this.agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(data),
          ...headers,
        },
      });
      const timer = setTimeout(() => {
        req.destroy(
          new EtcdCallError(
            sent ? "timeout" : "connect",
            `${this.url}${path}: no answer within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      req.on("socket", (sock) => {
        const mark = () => (sent = true);
        if ((sock as { connecting?: boolean }).connecting)
          sock.once(this.secure ? "secureConnect" : "connect", mark);
        else mark();
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (err instanceof EtcdCallError) return reject(err);
        const code = err.code ?? "";
        const connect =
          !sent ||
          CONNECT_CODES.has(code) ||
          /certificate|SSL|TLS|self.signed/i.test(`${code} ${err.message}`);
        reject(new EtcdCallError(connect ? "connect" : "reset", `${this.url}${path}: ${err.message}`));
      });
      req.on("response", (res) => {
        if (bounded) res.once("end", () => clearTimeout(timer)).once("close", () => clearTimeout(timer));
        else clearTimeout(timer);
        resolve(res);
      });
      req.end(data);
    });
  }
}

/** etcd's answers are small (a range page is bounded by its limit); a hostile proxy could send more. */
const MAX_ANSWER = 64 * 1024 * 1024;

function readJson(res: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_ANSWER)
        res.destroy(new EtcdCallError("reset", `answer larger than ${MAX_ANSWER} bytes`));
      else chunks.push(c);
    });
    res.on("error", (err) =>
      reject(err instanceof EtcdCallError ? err : new EtcdCallError("reset", err.message)),
    );
    res.on("end", () => {
      let json: { error?: string; message?: string; code?: number } & Record<string, unknown>;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return reject(new EtcdCallError("server", `HTTP ${res.statusCode}: not JSON`));
      }
      if (res.statusCode !== 200 || json.error !== undefined)
        return reject(
          new EtcdCallError(
            "server",
            String(json.message ?? json.error ?? `HTTP ${res.statusCode}`),
            json.code,
          ),
        );
      resolve(json);
    });
  });
}
