import type { Static } from "@sinclair/typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Core } from "../core/enforcer.js";
import type { ConfigState } from "../domain/boot-config.js";
import {
  ConfigBody,
  ConfigListQuery,
  IdParams,
  NameParams,
  PreviewBody,
  ProfileBody,
} from "./api-schemas.js";
import { presentConfig } from "./present.js";

type Id = { Params: Static<typeof IdParams> };
type Name = { Params: Static<typeof NameParams> };

/** Profiles (with preview) and boot configs (create, arm, cancel, status). */
export function registerConfigRoutes(app: FastifyInstance, core: Core): void {
  const view = (c: Parameters<typeof presentConfig>[1], req: FastifyRequest) =>
    presentConfig(core, c, req.token?.role);
  const p = ["profiles"];
  const c = ["configs"];

  app.get(
    "/profiles",
    { schema: { tags: p, summary: "List profiles" }, config: { role: "viewer" } },
    async () => ({
      items: core.profiles.list(),
    }),
  );
  app.post<{ Body: Static<typeof ProfileBody> }>(
    "/profiles",
    { schema: { tags: p, summary: "Create a profile", body: ProfileBody }, config: { role: "operator" } },
    async (req, reply) => reply.status(201).send(await core.profiles.create(req.body)),
  );
  app.get<Name>(
    "/profiles/:name",
    { schema: { tags: p, summary: "A profile", params: NameParams }, config: { role: "viewer" } },
    async (req) => core.profiles.get(req.params.name),
  );
  app.put<Name & { Body: Static<typeof ProfileBody> }>(
    "/profiles/:name",
    {
      schema: { tags: p, summary: "Replace a profile", params: NameParams, body: ProfileBody },
      config: { role: "operator" },
    },
    async (req) => core.profiles.replace(req.params.name, req.body),
  );
  app.delete<Name>(
    "/profiles/:name",
    {
      schema: { tags: p, summary: "Delete an unused profile", params: NameParams },
      config: { role: "operator" },
    },
    async (req, reply) => {
      await core.profiles.remove(req.params.name);
      return reply.status(204).send();
    },
  );
  app.post<Name & { Body: Static<typeof PreviewBody> }>(
    "/profiles/:name/preview",
    {
      schema: {
        tags: p,
        summary: "Render a profile against a machine",
        params: NameParams,
        body: PreviewBody,
      },
      config: { role: "viewer" },
    },
    async (req) =>
      core.configs.preview(core.profiles.get(req.params.name).name, req.body.machine, req.body.variables),
  );

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
