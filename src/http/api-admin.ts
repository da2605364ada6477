import type { Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../core/enforcer.js";
import type { Command } from "../domain/command.js";
import { EnforcerError } from "../domain/errors.js";
import { parseMac } from "../domain/mac.js";
import type { Role } from "../domain/token.js";
import {
  CommandBody,
  CommandListQuery,
  DiscoveryBody,
  IdParams,
  RemotesBody,
  TokenBody,
} from "./api-schemas.js";

type Id = { Params: Static<typeof IdParams> };

/** Commands, discovery, remote instances and tokens. */
export function registerAdminRoutes(app: FastifyInstance, core: Core): void {
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

  const set = ["settings"];
  const discovery = () => ({ enabled: core.settings.discovery, url: core.settings.discoveryUrl ?? null });
  app.get(
    "/discovery",
    { schema: { tags: set, summary: "Discovery state" }, config: { role: "viewer" } },
    async () => discovery(),
  );
  app.put<{ Body: Static<typeof DiscoveryBody> }>(
    "/discovery",
    {
      schema: { tags: set, summary: "Turn discovery on or off", body: DiscoveryBody },
      config: { role: "operator" },
    },
    async (req) => {
      if (req.body.url !== undefined) core.boot.checkDiscoveryUrl(req.body.url);
      await core.runtime.update(
        req.body.url
          ? { discovery: req.body.enabled, discoveryUrl: req.body.url }
          : { discovery: req.body.enabled },
      );
      return discovery();
    },
  );
  app.get(
    "/remotes",
    { schema: { tags: set, summary: "Remote Enforcer instances" }, config: { role: "viewer" } },
    async () => ({
      remotes: core.settings.remotes,
    }),
  );
  app.put<{ Body: Static<typeof RemotesBody> }>(
    "/remotes",
    {
      schema: { tags: set, summary: "Set the remote instances, in order", body: RemotesBody },
      config: { role: "operator" },
    },
    async (req) => {
      core.boot.checkRemotes(req.body.remotes);
      await core.runtime.update({ remotes: req.body.remotes.map((r) => r.replace(/\/+$/, "")) });
      return { remotes: core.settings.remotes };
    },
  );

  app.get(
    "/agents",
    {
      schema: { tags: ["agents"], summary: "Agent systems and the machines each reaches" },
      config: { role: "viewer" },
    },
    async () => ({
      items: core.agents.list(),
    }),
  );

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
