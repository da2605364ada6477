import type { FastifyInstance } from "fastify";
import { EnforcerError } from "../domain/errors.js";
import type { BootFiles } from "../files/boot-files.js";

/**
 * `GET /tftp/<name>`: the TFTP namespace over HTTP (loaders for UEFI HTTP boot, or for chaining over HTTP),
 * with the same name checks: nothing outside the root, ever.
 */
export function registerFileRoutes(app: FastifyInstance, files: BootFiles): void {
  app.get<{ Params: { "*": string } }>("/tftp/*", { schema: { hide: true } }, async (req, reply) => {
    const f = await files.open(req.params["*"]);
    if (!f.ok) {
      throw new EnforcerError(f.code === 1 ? "ENF_ERR_HTTP_NOT_FOUND" : "ENF_ERR_FILE_ACCESS", f.message, {
        file: req.params["*"].slice(0, 255),
      });
    }
    try {
      const data = await f.read(0, f.size);
      return reply.type("application/octet-stream").header("content-length", f.size).send(data);
    } finally {
      f.close();
    }
  });
}
