import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ERROR_CODES, EnforcerError, type ErrorCode } from "../domain/errors.js";
import { LogBudget } from "../logging/log-budget.js";

/** HTTP status for each error code; anything unlisted is a 500. Mapped here, at the edge, and nowhere else. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  ENF_ERR_MAC_INVALID: 400,
  ENF_ERR_UUID_INVALID: 400,
  ENF_ERR_HOSTNAME_INVALID: 400,
  ENF_ERR_LABEL_INVALID: 400,
  ENF_ERR_DHCP_RESERVATION: 409,
  ENF_ERR_FACT_INVALID: 400,
  ENF_ERR_PROFILE_INVALID: 400,
  ENF_ERR_HTTP_VALIDATION: 400,
  ENF_ERR_TEMPLATE_INVALID: 422,
  ENF_ERR_TEMPLATE_VARIABLE_MISSING: 422,
  ENF_ERR_IPXE_UNSAFE_VALUE: 422,
  ENF_ERR_PI_BOOT_FILE: 422,
  ENF_ERR_PROVISIONING_UNSAFE_VALUE: 422,
  ENF_ERR_PROVISIONING_INVALID: 422,
  ENF_ERR_MACHINE_NOT_FOUND: 404,
  ENF_ERR_PROFILE_NOT_FOUND: 404,
  ENF_ERR_CONFIG_NOT_FOUND: 404,
  ENF_ERR_HTTP_NOT_FOUND: 404,
  ENF_ERR_CONFIG_FILE_NOT_FOUND: 404,
  ENF_ERR_HTTP_RANGE: 416,
  ENF_ERR_FILE_ACCESS: 403,
  ENF_ERR_BOOT_NO_SCRIPT: 404,
  ENF_ERR_BOOT_SECRET_UNKNOWN: 404,
  ENF_ERR_PROFILE_EXISTS: 409,
  ENF_ERR_PROFILE_IN_USE: 409,
  ENF_ERR_CONFIG_TRANSITION: 409,
  ENF_ERR_CONFIG_ALREADY_ARMED: 409,
  ENF_ERR_AUTH_MISSING: 401,
  ENF_ERR_AUTH_INVALID: 401,
  ENF_ERR_AUTH_FORBIDDEN: 403,
  ENF_ERR_AUTH_RATE_LIMITED: 429,
  ENF_ERR_TOKEN_INVALID: 400,
  ENF_ERR_TOKEN_NOT_FOUND: 404,
  ENF_ERR_TOKEN_LAST_ADMIN: 409,
  ENF_ERR_COMMAND_NOT_FOUND: 404,
  ENF_ERR_POWER_INVALID: 400,
  ENF_ERR_POWER_NOT_SET: 404,
  ENF_ERR_POWER_UNSUPPORTED: 409,
  ENF_ERR_POWER_AUTH: 502,
  ENF_ERR_POWER_UNREACHABLE: 502,
  ENF_ERR_POWER_TIMEOUT: 504,
  ENF_ERR_POWER_BAD_ANSWER: 502,
  ENF_ERR_POWER_REFUSED: 502,
  ENF_ERR_POWER_TLS: 502,
  ENF_ERR_POWER_BUSY: 429,
  ENF_ERR_POWER_KEY: 500,
  ENF_ERR_POWER_TOOL_MISSING: 500,
  ENF_ERR_COMMAND_TRANSITION: 409,
  ENF_ERR_MACHINE_BUSY: 409,
  ENF_ERR_CONFLICT_NOT_FOUND: 404,
  ENF_ERR_CONFLICT_RESOLVED: 409,
  ENF_ERR_CONFLICT_MERGE_REFUSED: 409,
  ENF_ERR_MACHINE_EXISTS: 409,
  ENF_ERR_STORE_IO: 503,
  ENF_ERR_STORE_CLOSED: 503,
  ENF_ERR_STORE_LOCKED: 503,
  ENF_ERR_STORE_CONFLICT: 409,
  ENF_ERR_STORE_UNAVAILABLE: 503,
  ENF_ERR_HTTP_BAD_URL: 400,
  ENF_ERR_HTTP_URI_TOO_LONG: 414,
  ENF_ERR_HTTP_HEADERS_TOO_LARGE: 431,
  ENF_ERR_HTTP_BAD_REQUEST: 400,
  ENF_ERR_HTTP_TIMEOUT: 408,
  ENF_ERR_ASSET_URL: 400,
  ENF_ERR_ASSET_FETCH: 502,
  ENF_ERR_ASSET_CHECKSUM: 502,
  ENF_ERR_ASSET_TOO_LARGE: 507,
  ENF_ERR_ASSET_NOT_FOUND: 404,
  ENF_ERR_ASSET_IN_USE: 409,
  ENF_ERR_ASSET_DISABLED: 409,
};

/** The HTTP status for an error code. */
export function statusFor(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/** The JSON body of every error: a stable code, words for people, and structured details. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

/** Refusals logged a minute, for the whole process; `notLogged` on the next line counts the rest. */
export const REFUSAL_LOGS_PER_MINUTE = 120;
const REFUSAL_LOGS = new LogBudget(REFUSAL_LOGS_PER_MINUTE);

/** Fastify error handler: coded errors keep their code; schema and parser errors become 400s; the rest 500. */
export function handleError(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  let body: ErrorBody;
  let status: number;
  if (err instanceof EnforcerError) {
    body = { code: err.code, message: err.message, details: err.details };
    status = statusFor(err.code);
  } else if ("validation" in err && err.validation) {
    body = { code: "ENF_ERR_HTTP_VALIDATION", message: err.message, details: { errors: err.validation } };
    status = 400;
  } else if ("statusCode" in err && typeof err.statusCode === "number" && err.statusCode < 500) {
    // Fastify's own 4xx: bad JSON, wrong content type, body too large.
    body = { code: "ENF_ERR_HTTP_VALIDATION", message: err.message, details: { fastifyCode: err.code } };
    status = err.statusCode;
  } else {
    req.log.error({ err }, "unexpected error");
    body = { code: "ENF_ERR_SERVER_INTERNAL", message: "internal error; see the server log", details: {} };
    status = 500;
  }
  // A fall-through is the boot flow working, not a refusal worth an info line per machine. Refusals are
  // what any client can cause at will (a 429 per request past the rate limit): a budget of lines a minute.
  const fallThrough = body.code === "ENF_ERR_BOOT_NO_SCRIPT";
  const budget = status < 500 && !fallThrough ? REFUSAL_LOGS.take() : { ok: true, skipped: 0 };
  if (status < 500 && budget.ok)
    req.log[fallThrough ? "debug" : "info"](
      // A config's secret stays out of the log: a refused /p/ request may still name a live one.
      {
        url: req.url.slice(0, 300).replace(/^\/p\/[^/?]*/, "/p/[secret]"),
        status,
        code: body.code,
        why: withoutValue(body),
        ...(budget.skipped > 0 ? { notLogged: budget.skipped } : {}),
      },
      "refused",
    );
  void reply.status(status).send(body);
}

/**
 * The message as logged: a value the error quotes (`details.value`: a config variable placed in a file can
 * be a password hash) is left out; the caller's answer keeps it. Logs are kept and read more widely.
 */
function withoutValue(body: ErrorBody): string {
  const v = body.details.value;
  if (typeof v !== "string" || v === "") return body.message;
  // Quoted as JSON in the message, possibly cut short with "…": its opening quote and text go.
  return body.message.split(`"${JSON.stringify(v).slice(1, -1)}`).join('"[value]');
}

/** Not-found handler: every unknown path gets the same error shape. */
export function handleNotFound(req: FastifyRequest, reply: FastifyReply): void {
  const body: ErrorBody = {
    code: "ENF_ERR_HTTP_NOT_FOUND",
    message: `no route ${req.method} ${(req.url.split("?")[0] ?? "").slice(0, 200)}`,
    details: {},
  };
  void reply.status(404).send(body);
}

/** Fastify's router errors (bad percent-encoding, an over-long path segment) as coded errors. */
const FRAMEWORK: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_BAD_URL: { code: "ENF_ERR_HTTP_BAD_URL", message: "the path is not a valid URL" },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: "ENF_ERR_HTTP_URI_TOO_LONG",
    message: "a path segment is longer than any route accepts",
  },
};

/** Fastify's `frameworkErrors` hook: the router's own refusals answer the same shape as everything else. */
export function handleFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const known = FRAMEWORK[err.code];
  handleError(known ? new EnforcerError(known.code, known.message) : err, req, reply);
}

/** What Node's HTTP parser refuses before Fastify sees a request, by its error code. */
function clientErrorCode(code: string | undefined): ErrorCode {
  if (code === "HPE_HEADER_OVERFLOW") return "ENF_ERR_HTTP_HEADERS_TOO_LARGE";
  if (code === "ERR_HTTP_REQUEST_TIMEOUT") return "ENF_ERR_HTTP_TIMEOUT";
  return "ENF_ERR_HTTP_BAD_REQUEST";
}

/**
 * Fastify's `clientErrorHandler`: a request too large or too broken to parse (431, 408, 400) still gets a
 * coded JSON body, written straight to the socket since there is no request to reply to.
 */
export function handleClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const code = clientErrorCode(err.code);
  const status = statusFor(code);
  const body = JSON.stringify({ code, message: ERROR_CODES[code], details: {} } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
