import type { Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/create-core.js";
import type { Command } from "../../domain/command.js";
import { CommandBody, CommandListQuery, IdParams } from "./schemas.js";

type Id = { Params: Static<typeof IdParams> };

/** Commands: queue one for a machine, list them, read one and its outcome. */
export function registerCommandRoutes(app: FastifyInstance, core: Core): void {
  const cmd = ["commands"];
  app.post<{ Body: Static<typeof CommandBody> }>(
    "/commands",
    {
      schema: { tags: cmd, summary: "Queue a command (reboot) for a machine", body: CommandBody },
      config: { role: "operator" },
    },
    async (req, reply) =>
      reply.status(202).send(await core.commands.enqueue(req.body.machine, req.body.type)),
  );
  app.get<{ Querystring: Static<typeof CommandListQuery> }>(
    "/commands",
    {
      schema: { tags: cmd, summary: "List commands", querystring: CommandListQuery },
      config: { role: "viewer" },
    },
    async (req) => ({
      items: core.commands.list({ ...req.query, state: req.query.state as Command["state"] }),
    }),
  );
  app.get<Id>(
    "/commands/:id",
    {
      schema: { tags: cmd, summary: "A command and its outcome", params: IdParams },
      config: { role: "viewer" },
    },
    async (req) => core.commands.get(req.params.id),
  );
}
