import { Buffer } from "node:buffer";
import { fetch, type Agent, type Response } from "undici";
import type { PowerTarget } from "../../core/power-port.js";
import { EnforcerError, type ErrorCode } from "../../domain/errors.js";
import { bmcAgent, UntrustedCertificate } from "./redfish-tls.js";
import { bmcWords, isObject, redfishMessage } from "./redfish-words.js";

/** Bounds of the client; every one is below the core's power timeout (default 15 s). */
export interface RedfishLimits {
  /** TCP and TLS handshake (default 5 s). */
  connectMs: number;
  /** One request, headers and body (default 10 s). */
  requestMs: number;
  /** The largest answer read (default 1 MiB: a ComputerSystem is a few kB). */
  maxBody: number;
}

/** The defaults of RedfishLimits. */
export const REDFISH_LIMITS: RedfishLimits = { connectMs: 5000, requestMs: 10_000, maxBody: 1024 * 1024 };

/** One answer of the BMC: its status, its JSON (undefined for an empty body) and its ETag if any. */
export interface RedfishAnswer {
  status: number;
  body: unknown;
  etag?: string;
}

/** Redirects followed on the BMC itself, at most. */
const MAX_REDIRECTS = 3;

/**
 * A Redfish client for one power action: its own Agent (see redfish-tls.ts), Basic auth or a session, every
 * request bounded in time and size and ended by the caller's signal, every failure an EnforcerError with an
 * ENF_ERR_POWER_* code whose message says what we did, then the BMC's words (never the password).
 */
export class RedfishClient {
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly secrets: string[];
  private readonly basic: string;
  private auth: Record<string, string> = {};
  private session: string | undefined;

  constructor(
    private readonly target: PowerTarget,
    private readonly signal: AbortSignal,
    private readonly limits: RedfishLimits = REDFISH_LIMITS,
  ) {
    // parsePowerInput validated host[:port] (IPv4, [IPv6] or an RFC 1123 name), so this is one origin.
    this.base = new URL(`https://${target.address}/`);
    this.agent = bmcAgent({
      tlsFingerprint: target.options.tlsFingerprint,
      connectMs: limits.connectMs,
      answerMs: limits.requestMs,
    });
    this.basic = Buffer.from(`${target.username ?? ""}:${target.password ?? ""}`).toString("base64");
    // What a careless BMC could echo back: the password as sent in a session body, the Basic header.
    // JSON-escaped too: a BMC that echoes the session body as text shows `"` and `\` escaped.
    this.secrets = target.password
      ? [
          target.password,
          this.basic,
          encodeURIComponent(target.password),
          JSON.stringify(target.password).slice(1, -1),
        ]
      : [];
  }

  /**
   * Logs in: a session when the service root links a session collection (DSP0266's way: the password
   * crosses once), else HTTP Basic. A session the BMC will not make (404, 405, no token) falls back to
   * Basic; a refused password does not (401/403: ENF_ERR_POWER_AUTH).
   */
  async login(root: unknown): Promise<void> {
    const links = isObject(root) && isObject(root.Links) ? root.Links : {};
    const sessions = isObject(links.Sessions) ? links.Sessions["@odata.id"] : undefined;
    if (typeof sessions === "string") {
      const res = await this.follow("POST", sessions, "log in", {
        UserName: this.target.username ?? "",
        Password: this.target.password ?? "",
      });
      const token = res.headers.get("x-auth-token");
      if (res.status >= 200 && res.status < 300 && token) {
        this.auth = { "x-auth-token": token };
        this.session = sessionUri(res, await this.readJson(res, "log in").catch(() => undefined));
        return;
      }
      if (res.status === 401 || res.status === 403) await this.check(res, "log in");
      await res.body?.cancel();
    }
    this.auth = { authorization: `Basic ${this.basic}` };
  }

  /** GET `path` (a path of this BMC) as JSON; a 2xx is required. */
  async get(path: string, step: string): Promise<RedfishAnswer> {
    return this.check(await this.follow("GET", path, step), step);
  }

  /** POST `body` to `path`; a 2xx is required. */
  async post(path: string, body: unknown, step: string): Promise<RedfishAnswer> {
    return this.check(await this.follow("POST", path, step, body), step);
  }

  /** PATCH `path` with `body`, with If-Match when the resource had an ETag (Lenovo, AMI: 428 without). */
  async patch(path: string, body: unknown, step: string, etag?: string): Promise<RedfishAnswer> {
    return this.check(await this.follow("PATCH", path, step, body, etag ? { "if-match": etag } : {}), step);
  }

  /**
   * Deletes the session (BMCs keep few: iDRAC allows a handful, and a leaked one locks the next login out
   * until it times out) and closes the connection. Never throws. After the caller's signal fired, the
   * delete gets its own short bound and is not waited for, so an ended action returns at once.
   */
  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    const done = async () => {
      if (session !== undefined) {
        const bound = AbortSignal.timeout(this.limits.connectMs);
        await this.follow("DELETE", session, "log out", undefined, {}, bound)
          .then((res) => res.body?.cancel())
          .catch(() => undefined);
      }
      await this.agent.destroy().catch(() => undefined);
    };
    if (this.signal.aborted) void done();
    else await done();
  }

  /**
   * A request that follows the BMC's redirects on the BMC itself (iLO 5 before 1.40 answered 308 to the URI
   * with a trailing slash): 307 and 308 repeat the request, 301-303 only a GET. A redirect to another host
   * is refused (credentials never go there); one not followed is ENF_ERR_POWER_BAD_ANSWER.
   */
  private async follow(
    method: string,
    path: string,
    step: string,
    body?: unknown,
    extra: Record<string, string> = {},
    bound?: AbortSignal,
  ): Promise<Response> {
    let url = path;
    for (let hop = 0; ; hop++) {
      const res = await this.send(method, url, step, body, extra, bound);
      const location = res.headers.get("location");
      const again =
        res.status === 307 ||
        res.status === 308 ||
        (method === "GET" && res.status >= 301 && res.status <= 303);
      if (!again || location === null || hop >= MAX_REDIRECTS) return res;
      await res.body?.cancel();
      url = this.sameOrigin(location, step);
    }
  }

  /** `location` resolved against the BMC, refused unless it stays on the BMC (never follow elsewhere). */
  sameOrigin(location: string, step: string): string {
    let url: URL;
    try {
      url = new URL(location, this.base);
    } catch {
      throw this.fail("ENF_ERR_POWER_BAD_ANSWER", `${step}: the BMC pointed to a malformed URI`, location);
    }
    if (url.origin !== this.base.origin)
      throw this.fail(
        "ENF_ERR_POWER_BAD_ANSWER",
        `${step}: the BMC redirected to another host (${bmcWords(url.host)}), not followed`,
      );
    return `${url.pathname}${url.search}`;
  }

  /** An EnforcerError of `code`: our words, then the BMC's (cleaned, without secrets). */
  fail(code: ErrorCode, ours: string, theirs?: string, details: Record<string, unknown> = {}): EnforcerError {
    const words = theirs === undefined ? "" : bmcWords(theirs, this.secrets);
    // Our words are never cut: they may end with the fingerprint the operator needs.
    const mine = bmcWords(ours, this.secrets, Infinity);
    return new EnforcerError(code, words ? `${mine}: ${words}` : mine, details);
  }

  /** The answer of a 2xx, else the coded error its status and body say. */
  private async check(res: Response, step: string): Promise<RedfishAnswer> {
    const etagHeader = res.headers.get("etag") ?? undefined;
    if (res.status >= 200 && res.status < 300) {
      const body = await this.readJson(res, step);
      const odataEtag =
        isObject(body) && typeof body["@odata.etag"] === "string" ? body["@odata.etag"] : undefined;
      return { status: res.status, body, etag: etagHeader ?? odataEtag };
    }
    const text = await this.readText(res, step).catch((e: unknown) => {
      if (e instanceof EnforcerError && e.code === "ENF_ERR_POWER_TIMEOUT") throw e;
      return "";
    });
    const said = redfishMessage(parseOrUndefined(text));
    const words = said ? [said.messageId, said.message].filter(Boolean).join(": ") : text;
    const details = said ? { status: res.status, messageId: said.messageId } : { status: res.status };
    if (res.status === 401 || res.status === 403)
      return Promise.reject(
        this.fail(
          "ENF_ERR_POWER_AUTH",
          `${step}: the BMC refused the user name or password (HTTP ${res.status})`,
          words,
          details,
        ),
      );
    if (res.status >= 300 && res.status < 400)
      return Promise.reject(
        this.fail(
          "ENF_ERR_POWER_BAD_ANSWER",
          `${step}: the BMC answered a redirect (HTTP ${res.status}), not followed`,
          undefined,
          details,
        ),
      );
    if (said)
      return Promise.reject(
        this.fail("ENF_ERR_POWER_REFUSED", `${step}: the BMC refused (HTTP ${res.status})`, words, details),
      );
    return Promise.reject(
      this.fail(
        "ENF_ERR_POWER_BAD_ANSWER",
        `${step}: the BMC answered HTTP ${res.status} without a Redfish error`,
        text,
        details,
      ),
    );
  }

  /** The body as JSON (undefined when empty); not JSON is ENF_ERR_POWER_BAD_ANSWER with its first words. */
  private async readJson(res: Response, step: string): Promise<unknown> {
    const text = await this.readText(res, step);
    if (text.trim() === "") return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.fail("ENF_ERR_POWER_BAD_ANSWER", `${step}: the BMC's answer is not JSON`, text);
    }
  }

  /** The body as text, at most `maxBody` bytes: a larger one is cancelled and refused, never buffered. */
  private async readText(res: Response, step: string): Promise<string> {
    const tooBig = () =>
      this.fail(
        "ENF_ERR_POWER_BAD_ANSWER",
        `${step}: the BMC's answer is larger than ${this.limits.maxBody} bytes`,
      );
    const declared = Number(res.headers.get("content-length") ?? "0");
    if (declared > this.limits.maxBody) {
      await res.body?.cancel().catch(() => undefined);
      throw tooBig();
    }
    if (res.body === null) return "";
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += chunk.byteLength;
        // Leaving the loop by a throw cancels the stream: the rest is never read.
        if (size > this.limits.maxBody) throw tooBig();
        chunks.push(chunk);
      }
    } catch (e) {
      if (e instanceof EnforcerError) throw e;
      throw this.networkError(e, step);
    }
    return Buffer.concat(chunks).toString("utf8");
  }

  /** One request on this BMC's Agent, bounded by `requestMs` and the caller's signal, redirects not followed. */
  private async send(
    method: string,
    path: string,
    step: string,
    body?: unknown,
    extra: Record<string, string> = {},
    bound: AbortSignal | undefined = undefined,
  ): Promise<Response> {
    const url = new URL(this.sameOrigin(path, step), this.base);
    try {
      return await fetch(url, {
        method,
        dispatcher: this.agent,
        redirect: "manual",
        signal: bound ?? AbortSignal.any([this.signal, AbortSignal.timeout(this.limits.requestMs)]),
        headers: {
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          "odata-version": "4.0",
          ...this.auth,
          ...extra,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw this.networkError(e, step);
    }
  }

  /** A failed fetch as its code: the caller's signal or our bound (TIMEOUT), trust (TLS), else UNREACHABLE. */
  private networkError(e: unknown, step: string): EnforcerError {
    if (this.signal.aborted)
      return this.fail(
        "ENF_ERR_POWER_TIMEOUT",
        `${step}: stopped, the power timeout ran out while the BMC had not answered`,
      );
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
    if (cause instanceof UntrustedCertificate)
      return this.fail(
        "ENF_ERR_POWER_TLS",
        // Short and the fingerprint first: the core keeps 200 characters, and the fingerprint is what the
        // operator checks on the BMC's own page and pins.
        `the BMC's certificate (SHA-256 ${cause.seen || "none"}) ${cause.why}`,
        undefined,
        { fingerprint: cause.seen },
      );
    const name = e instanceof Error ? e.name : "";
    const code = isObject(cause) && typeof cause.code === "string" ? cause.code : "";
    if (code === "UND_ERR_CONNECT_TIMEOUT")
      return this.fail(
        "ENF_ERR_POWER_UNREACHABLE",
        `${step}: the BMC at ${this.target.address} did not accept a connection within ${this.limits.connectMs} ms`,
      );
    if (name === "TimeoutError" || name === "AbortError" || /TIMEOUT/.test(code))
      return this.fail(
        "ENF_ERR_POWER_TIMEOUT",
        `${step}: the BMC did not answer within ${this.limits.requestMs} ms`,
        code || undefined,
      );
    const why = cause instanceof Error ? cause.message : String(cause);
    return this.fail(
      "ENF_ERR_POWER_UNREACHABLE",
      `${step}: cannot reach the BMC at ${this.target.address}`,
      why,
    );
  }
}

/** The session's URI to delete: the Location header, else the new session's @odata.id. */
function sessionUri(res: Response, body: unknown): string | undefined {
  const location = res.headers.get("location");
  if (location) return location;
  return isObject(body) && typeof body["@odata.id"] === "string" ? body["@odata.id"] : undefined;
}

/** JSON.parse, or undefined for text that is not JSON. */
function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
