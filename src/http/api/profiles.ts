import type { Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/create-core.js";
import { presentPreview } from "../present.js";
import { NameParams, PreviewBody, ProfileBody } from "./schemas.js";

type Name = { Params: Static<typeof NameParams> };

/** Profiles: list, create, replace, delete an unused one, and preview one against a machine. */
export function registerProfileRoutes(app: FastifyInstance, core: Core): void {
  const p = ["profiles"];

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
      config: { role: "viewer", readsOnly: true },
    },
    async (req) =>
      presentPreview(
        core.renderer.preview(core.profiles.get(req.params.name).name, req.body.machine, req.body.variables),
      ),
  );
}
