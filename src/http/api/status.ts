import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/create-core.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** A POST that only reads (a preview): the write gate lets it through while the store is unavailable. */
    readsOnly?: boolean;
  }
}

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * `GET /status` (the store's kind and health, for the UI and scripts) and the write gate: while the store is
 * unavailable every API write answers 503 ENF_ERR_STORE_UNAVAILABLE before it does any work, reads go on
 * from memory. Runs after auth (a caller first learns whether it may write at all), before validation and any work.
 */
export function registerStatusRoutes(app: FastifyInstance, core: Core): void {
  app.addHook("preValidation", async (req) => {
    if (WRITES.has(req.method) && !req.routeOptions.config.readsOnly) core.storeStatus.assertWritable();
  });
  app.get(
    "/status",
    {
      schema: { tags: ["status"], summary: "The store's kind and health (ok, degraded, unavailable)" },
      config: { role: "viewer" },
    },
    async () => ({ store: core.storeStatus.view() }),
  );
}
