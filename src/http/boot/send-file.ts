import type { FastifyReply, FastifyRequest } from "fastify";
import { EnforcerError } from "../../domain/errors.js";
import type { BootFile } from "../../files/boot-files.js";
import { byteRange } from "./byte-range.js";

/**
 * Sends an open boot file: whole, or the one byte range the request asks for (416 past the end; with an
 * If-Range, whole), only the headers for HEAD. Files in memory are sent as they are; others are streamed
 * from disk as the client reads, so a request holds a fixed amount of memory whatever the file's size.
 */
export function sendBootFile(
  req: FastifyRequest,
  reply: FastifyReply,
  f: Extract<BootFile, { ok: true }>,
  headersOnly: boolean,
): FastifyReply {
  // If-Range names a validator from an earlier answer; these answers give none (no ETag, no Last-Modified),
  // so none matches and the Range is ignored (RFC 9110 13.1.5): a resumed download of a file replaced since
  // (an asset fetched again under its URL) would otherwise join the bytes of two files.
  const range =
    req.headers["if-range"] === undefined
      ? byteRange(req.headers.range, f.size)
      : ({ kind: "full" } as const);
  if (range.kind === "unsatisfiable") {
    f.close();
    void reply.header("content-range", `bytes */${f.size}`);
    throw new EnforcerError(
      "ENF_ERR_HTTP_RANGE",
      `range ${req.headers.range?.slice(0, 100)} starts past the end of the ${f.size} bytes`,
      {
        size: f.size,
      },
    );
  }
  const [start, end] = range.kind === "partial" ? [range.start, range.end] : [0, f.size];
  void reply.type("application/octet-stream").header("accept-ranges", "bytes");
  if (range.kind === "partial")
    void reply.code(206).header("content-range", `bytes ${start}-${end - 1}/${f.size}`);
  void reply.header("content-length", end - start);
  if (f.data || headersOnly) {
    f.close();
    return reply.send(headersOnly ? undefined : f.data?.subarray(start, end));
  }
  // The stream owns the file from here: it closes it at its end, or when the client goes away.
  return reply.send(f.stream(start, end));
}
