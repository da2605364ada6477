import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import type { Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { AssetService } from "../../core/asset-service.js";
import { EnforcerError } from "../../domain/errors.js";
import { AssetBody, AssetUploadParams, AssetUploadQuery, IdParams } from "./schemas.js";

/**
 * The boot asset cache: list it (viewer), fetch a URL into it or upload a file (operator), remove a file no
 * armed config needs (operator). An upload is streamed into the cache, which bounds it by its cap: the
 * API's JSON body limit does not apply to it, and it is never held whole in memory.
 */
export function registerAssetApiRoutes(app: FastifyInstance, assets: AssetService): void {
  const a = ["assets"];
  app.get(
    "/assets",
    { schema: { tags: a, summary: "List the boot asset cache" }, config: { role: "viewer" } },
    async () => assets.list(),
  );
  app.post<{ Body: Static<typeof AssetBody> }>(
    "/assets",
    {
      schema: { tags: a, summary: "Fetch a file into the cache", body: AssetBody },
      config: { role: "operator" },
    },
    async (req, reply) => reply.status(201).send(await assets.add(req.body.url, req.body.sha256)),
  );
  // Its own plugin: the octet-stream parser (which hands the request stream over unread) stays on this route.
  void app.register(async (upload) => {
    upload.addContentTypeParser("application/octet-stream", (_req, payload, done) => done(null, payload));
    upload.put<{
      Params: Static<typeof AssetUploadParams>;
      Querystring: Static<typeof AssetUploadQuery>;
      Body: Readable;
    }>(
      "/assets/:name",
      {
        schema: {
          tags: a,
          summary: "Upload a file into the cache (the body, as application/octet-stream)",
          params: AssetUploadParams,
          querystring: AssetUploadQuery,
        },
        config: { role: "operator" },
      },
      async (req, reply) => {
        // A JSON or text body was parsed (and bounded) by Fastify's own parsers: not a file to keep.
        if (!(req.body instanceof Readable))
          throw new EnforcerError(
            "ENF_ERR_HTTP_VALIDATION",
            "send the file as the body, with Content-Type: application/octet-stream",
          );
        try {
          // Node's parser holds the body to its Content-Length, so an announced length too large for the
          // cache is refused at once rather than after the cap's worth of bytes.
          const header = req.headers["content-length"];
          const length = header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
          return reply
            .status(201)
            .send(await assets.upload(req.params.name, req.body, req.query.sha256, length));
        } catch (err) {
          // A refused upload (too large, wrong sum) leaves its body unread. The rest is read and dropped (up
          // to a bound) so the connection can carry the next request: closing on unread bytes resets the
          // connection, and the client would see that instead of the answer.
          drainBounded(req.raw);
          throw err;
        }
      },
    );
  });
  app.delete<{ Params: Static<typeof IdParams> }>(
    "/assets/:id",
    {
      schema: { tags: a, summary: "Remove a file no armed config needs", params: IdParams },
      config: { role: "operator" },
    },
    async (req, reply) => {
      await assets.remove(req.params.id);
      return reply.status(204).send();
    },
  );
}

/** A refused upload's body beyond this is not worth reading to deliver the refusal: the connection is cut. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/** Reads and drops what is left of a request body, cutting the connection past DRAIN_LIMIT bytes. */
function drainBounded(raw: IncomingMessage): void {
  if (raw.complete || raw.destroyed) return;
  let seen = 0;
  raw.on("data", (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DRAIN_LIMIT) raw.socket.destroy();
  });
  raw.resume();
}
