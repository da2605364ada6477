import type { Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/create-core.js";
import type { PowerInput } from "../../domain/power.js";
import {
  IdParams,
  PowerActionParams,
  PowerInputBody,
  PowerOutcomeAnswer,
  PowerViewAnswer,
} from "./schemas.js";

type Id = { Params: Static<typeof IdParams> };
const tags = ["power"];

/**
 * A machine's power control (docs/power.md): its settings are an admin's (they hold a BMC password), its
 * state is for everyone, its actions are an operator's, like a reboot command.
 */
export function registerPowerRoutes(app: FastifyInstance, core: Core): void {
  app.put<Id & { Body: Static<typeof PowerInputBody> }>(
    "/machines/:id/power",
    {
      schema: {
        tags,
        summary: "Set a machine's power control (the password is stored encrypted and never shown)",
        params: IdParams,
        body: PowerInputBody,
        response: { 200: PowerViewAnswer },
      },
      config: { role: "admin" },
    },
    async (req) => core.power.set(req.params.id, req.body as PowerInput),
  );
  app.get<Id>(
    "/machines/:id/power",
    {
      schema: {
        tags,
        summary: "A machine's power control and last observed power state, without secrets",
        params: IdParams,
        response: { 200: PowerViewAnswer },
      },
      config: { role: "viewer" },
    },
    async (req) => core.power.get(req.params.id),
  );
  app.delete<Id>(
    "/machines/:id/power",
    {
      schema: { tags, summary: "Remove a machine's power control and its stored password", params: IdParams },
      config: { role: "admin" },
    },
    async (req, reply) => {
      await core.power.remove(req.params.id);
      return reply.status(204).send();
    },
  );
  app.post<{ Params: Static<typeof PowerActionParams> }>(
    "/machines/:id/power/:action",
    {
      schema: {
        tags,
        summary: "Run a power action (on, off, cycle, status, pxe-once); a BMC's failure is its error code",
        params: PowerActionParams,
        response: { 200: PowerOutcomeAnswer },
      },
      config: { role: "operator" },
    },
    async (req) => core.power.act(req.params.id, req.params.action),
  );
}
