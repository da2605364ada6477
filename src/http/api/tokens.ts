import type { Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/create-core.js";
import { EnforcerError } from "../../domain/errors.js";
import { parseMac } from "../../domain/mac.js";
import type { Role } from "../../domain/token.js";
import { IdParams, TokenBody } from "./schemas.js";

type Id = { Params: Static<typeof IdParams> };

/** Tokens: who is calling, list, create (shown once), revoke. */
export function registerTokenRoutes(app: FastifyInstance, core: Core): void {
  const tok = ["tokens"];
  app.get(
    "/whoami",
    {
      schema: { tags: tok, summary: "The calling token's name and role (what a UI may offer)" },
      config: { role: "viewer" },
    },
    async (req) => ({ id: req.token!.id, name: req.token!.name, role: req.token!.role }),
  );
  app.get(
    "/tokens",
    { schema: { tags: tok, summary: "List tokens" }, config: { role: "admin" } },
    async () => ({
      // An agent token's machine, once bound (docs/security.md).
      items: core.tokens.list().map((t) => {
        const machine = t.role === "agent" ? core.credentials.boundMachine(t.id) : undefined;
        return machine ? { ...t, machine } : t;
      }),
    }),
  );
  app.post<{ Body: Static<typeof TokenBody> }>(
    "/tokens",
    {
      schema: { tags: tok, summary: "Create a token (shown once)", body: TokenBody },
      config: { role: "admin" },
    },
    async (req, reply) => {
      const role = req.body.role as Role;
      // Checked before the token exists, so a refused binding leaves no unbound token behind.
      const mac = req.body.machine === undefined ? undefined : parseMac(req.body.machine);
      if (mac && role !== "agent")
        throw new EnforcerError("ENF_ERR_TOKEN_INVALID", "only an agent token is bound to a machine");
      const { token, info } = await core.tokens.create(req.body.name, role);
      const machine = mac ? await core.credentials.bind(info, mac, info.createdAt) : undefined;
      return reply.status(201).send({ ...info, ...(machine ? { machine } : {}), token });
    },
  );
  app.delete<Id>(
    "/tokens/:id",
    { schema: { tags: tok, summary: "Revoke a token", params: IdParams }, config: { role: "admin" } },
    async (req, reply) => {
      await core.tokens.revoke(req.params.id);
      return reply.status(204).send();
    },
  );
}
