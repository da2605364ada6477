import type { Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { configUrls } from "../core/boot-vars.js";
import type { Core } from "../core/enforcer.js";
import type { BootConfig, ConfigState } from "../domain/boot-config.js";
import {
  ConfigBody,
  ConfigListQuery,
  IdParams,
  MachineListQuery,
  MachinePatchBody,
  NameParams,
  ProfileBody,
} from "./api-schemas.js";

type Id = { Params: Static<typeof IdParams> };
type Name = { Params: Static<typeof NameParams> };

/** The JSON API under /api/v1: machines, profiles, configs and their events. Handlers stay thin. */
export function registerApiRoutes(app: FastifyInstance, core: Core): void {
  const view = (c: BootConfig) => presentConfig(core, c);

  app.get<{ Querystring: Static<typeof MachineListQuery> }>(
    "/machines",
    { schema: { querystring: MachineListQuery } },
    async (req) => {
      const { label, ...rest } = req.query;
      const [k, v] = label ? label.split("=") : [];
      return core.machines.list({ ...rest, label: k !== undefined ? { [k]: v ?? "" } : undefined });
    },
  );
  app.get<Id>("/machines/:id", { schema: { params: IdParams } }, async (req) => {
    const m = core.machines.get(req.params.id);
    const held = core.configs.holdingFor(m.id);
    return { ...m, config: held ? view(held) : null };
  });
  app.patch<Id & { Body: Static<typeof MachinePatchBody> }>(
    "/machines/:id",
    { schema: { params: IdParams, body: MachinePatchBody } },
    async (req) => core.machines.update(req.params.id, req.body),
  );
  app.get<Id>("/machines/:id/events", { schema: { params: IdParams } }, async (req) => {
    const m = core.machines.get(req.params.id);
    return { items: core.events.forMachine(m.id) };
  });

  app.get("/profiles", async () => ({ items: core.profiles.list() }));
  app.post<{ Body: Static<typeof ProfileBody> }>(
    "/profiles",
    { schema: { body: ProfileBody } },
    async (req, reply) => reply.status(201).send(await core.profiles.create(req.body)),
  );
  app.get<Name>("/profiles/:name", { schema: { params: NameParams } }, async (req) =>
    core.profiles.get(req.params.name),
  );
  app.put<Name & { Body: Static<typeof ProfileBody> }>(
    "/profiles/:name",
    { schema: { params: NameParams, body: ProfileBody } },
    async (req) => core.profiles.replace(req.params.name, req.body),
  );
  app.delete<Name>("/profiles/:name", { schema: { params: NameParams } }, async (req, reply) => {
    await core.profiles.remove(req.params.name);
    return reply.status(204).send();
  });

  app.get<{ Querystring: Static<typeof ConfigListQuery> }>(
    "/configs",
    { schema: { querystring: ConfigListQuery } },
    async (req) => ({
      items: core.configs.list({ ...req.query, state: req.query.state as ConfigState }).map(view),
    }),
  );
  app.post<{ Body: Static<typeof ConfigBody> }>(
    "/configs",
    { schema: { body: ConfigBody } },
    async (req, reply) => reply.status(201).send(view(await core.configs.create(req.body))),
  );
  app.get<Id>("/configs/:id", { schema: { params: IdParams } }, async (req) =>
    view(core.configs.get(req.params.id)),
  );
  app.post<Id>("/configs/:id/arm", { schema: { params: IdParams } }, async (req) =>
    view(await core.configs.arm(req.params.id)),
  );
  app.post<Id>("/configs/:id/cancel", { schema: { params: IdParams } }, async (req) =>
    view(await core.configs.cancel(req.params.id)),
  );
}

/** A config as the API shows it: state flattened, the secret only inside its URLs. */
function presentConfig(core: Core, c: BootConfig) {
  const { secret, lifecycle, ...rest } = c;
  const urls = configUrls(core.settings, secret);
  return { ...rest, state: lifecycle.state, lifecycle, urls: { files: urls.files, complete: urls.complete } };
}
