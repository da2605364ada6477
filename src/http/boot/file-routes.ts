import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { EnforcerError } from "../../domain/errors.js";
import type { BootFiles } from "../../files/boot-files.js";
import { sendBootFile } from "./send-file.js";

/**
 * `GET /tftp/<name>`: the TFTP namespace over HTTP (loaders for UEFI HTTP boot, or for chaining over HTTP),
 * with the same name checks: nothing outside the root, ever. Files in memory are sent as they are; others
 * are streamed from disk as the client reads, so a request holds a fixed amount of memory whatever the
 * file's size. One byte range (`Range: bytes=a-b`) is honoured.
 */
export function registerFileRoutes(app: FastifyInstance, files: BootFiles): void {
  // HEAD has its own route, registered first: Fastify's automatic one drains the GET's stream, so every
  // HEAD of a large file read all of it into the void (60 HEADs of a 300 MB file: 18 GB, a core for 20 s).
  app.head<{ Params: { "*": string } }>("/tftp/*", { schema: { hide: true } }, (req, reply) =>
    serve(req, reply, true),
  );
  app.get<{ Params: { "*": string } }>("/tftp/*", { schema: { hide: true } }, (req, reply) =>
    serve(req, reply, false),
  );

  const serve = async (
    req: FastifyRequest<{ Params: { "*": string } }>,
    reply: FastifyReply,
    headersOnly: boolean,
  ) => {
    const f = await files.open(req.params["*"]);
    if (!f.ok) {
      throw new EnforcerError(f.code === 1 ? "ENF_ERR_HTTP_NOT_FOUND" : "ENF_ERR_FILE_ACCESS", f.message, {
        file: req.params["*"].slice(0, 255),
      });
    }
    return sendBootFile(req, reply, f, headersOnly);
  };
}
