import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AssetCache } from "../../core/asset-cache.js";
import { EnforcerError } from "../../domain/errors.js";
import { openDiskFile } from "../../files/disk-file.js";
import { sendBootFile } from "./send-file.js";

type AssetRequest = FastifyRequest<{ Params: { id: string; name: string } }>;

/**
 * `GET|HEAD /assets/<id>/<name>`: a cached boot asset (kernel, initrd), open like the other boot files
 * (iPXE sends no token) and under the same per-address limit. Only an id and name the cache holds are
 * answered (or, with a shared store, one another instance catalogued: fetched first); anything else is a 404,
 * and no part of the request becomes a path. Streamed, with one byte range.
 */
export function registerAssetRoutes(app: FastifyInstance, assets: AssetCache): void {
  // HEAD has its own route for the reason file-routes.ts gives: the automatic one reads the whole body.
  app.head("/assets/:id/:name", { schema: { hide: true } }, (req: AssetRequest, reply) =>
    serve(req, reply, true),
  );
  app.get("/assets/:id/:name", { schema: { hide: true } }, (req: AssetRequest, reply) =>
    serve(req, reply, false),
  );

  const serve = async (req: AssetRequest, reply: FastifyReply, headersOnly: boolean) => {
    const { id, name } = req.params;
    const hit = await assets.openOrFetch(id, name);
    const f = hit ? await openDiskFile(name, hit.file) : undefined;
    if (!f?.ok)
      throw new EnforcerError("ENF_ERR_HTTP_NOT_FOUND", "no cached asset at that path", {
        asset: `${id.slice(0, 64)}/${name.slice(0, 64)}`,
      });
    return sendBootFile(req, reply, f, headersOnly);
  };
}
