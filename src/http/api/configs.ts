import type { Static } from "@sinclair/typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Core } from "../../core/create-core.js";
import type { ConfigState } from "../../domain/boot-config.js";
import { ConfigBody, ConfigListQuery, IdParams } from "./schemas.js";
import { presentConfig } from "../present.js";

type Id = { Params: Static<typeof IdParams> };

/** Boot configs: list, create a draft, read, arm for one boot, cancel. */
export function registerConfigRoutes(app: FastifyInstance, core: Core): void {
  const view = (c: Parameters<typeof presentConfig>[1], req: FastifyRequest) =>
    presentConfig(core, c, req.token?.role);
  const c = ["configs"];

  app.get<{ Querystring: Static<typeof ConfigListQuery> }>(
    "/configs",
    {
      schema: { tags: c, summary: "List configs", querystring: ConfigListQuery },
      config: { role: "viewer" },
    },
    async (req) => ({
      items: core.configs
        .list({ ...req.query, state: req.query.state as ConfigState })
        .map((x) => view(x, req)),
    }),
  );
  app.post<{ Body: Static<typeof ConfigBody> }>(
    "/configs",
    { schema: { tags: c, summary: "Create a draft config", body: ConfigBody }, config: { role: "operator" } },
    async (req, reply) => reply.status(201).send(view(await core.configs.create(req.body), req)),
  );
  app.get<Id>(
    "/configs/:id",
    { schema: { tags: c, summary: "A config and its state", params: IdParams }, config: { role: "viewer" } },
    async (req) => view(core.configs.get(req.params.id), req),
  );
  app.post<Id>(
    "/configs/:id/arm",
    {
      schema: { tags: c, summary: "Render and arm for one boot", params: IdParams },
      config: { role: "operator" },
    },
    async (req) => view(await core.configs.arm(req.params.id), req),
  );
  app.post<Id>(
    "/configs/:id/cancel",
    { schema: { tags: c, summary: "Cancel a config", params: IdParams }, config: { role: "operator" } },
    async (req) => view(await core.configs.cancel(req.params.id), req),
  );
}
