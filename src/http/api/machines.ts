import type { Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/create-core.js";
import { parseMac } from "../../domain/mac.js";
import { IdParams, MachineBody, MachineListQuery, MachinePatchBody } from "./schemas.js";
import { presentConfig } from "../present.js";

type Id = { Params: Static<typeof IdParams> };
const tags = ["machines"];

/** Machines: list with filter and paging, detail, edit, forget, history. */
export function registerMachineRoutes(app: FastifyInstance, core: Core): void {
  app.get<{ Querystring: Static<typeof MachineListQuery> }>(
    "/machines",
    {
      schema: {
        tags,
        summary: "List machines (without facts, with their config state)",
        querystring: MachineListQuery,
      },
      config: { role: "viewer" },
    },
    async (req) => {
      const { label, state, ...rest } = req.query;
      const [k, v] = label ? label.split("=") : [];
      const page = core.machines.list({
        ...rest,
        label: k !== undefined ? { [k]: v ?? "" } : undefined,
        where: state ? (m) => core.configs.stateOf(m.id) === state : undefined,
      });
      // Lists carry no facts (they are most of a machine's size); the detail route has them.
      const conflicts = core.conflicts.openCounts();
      return {
        total: page.total,
        items: page.items.map(({ facts: _facts, ...m }) => ({
          ...m,
          state: core.configs.stateOf(m.id),
          conflicts: conflicts.get(m.id) ?? 0,
        })),
      };
    },
  );
  app.post<{ Body: Static<typeof MachineBody> }>(
    "/machines",
    {
      schema: { tags, summary: "Register a machine by MAC", body: MachineBody },
      config: { role: "operator" },
    },
    async (req, reply) => {
      const { mac, ...patch } = req.body;
      return reply.status(201).send(await core.machines.register(parseMac(mac), patch));
    },
  );
  app.get<Id>(
    "/machines/:id",
    {
      schema: {
        tags,
        summary: "A machine with facts, its live config and its newest config",
        params: IdParams,
      },
      config: { role: "viewer" },
    },
    async (req) => {
      const m = core.machines.get(req.params.id);
      const held = core.configs.holdingFor(m.id);
      const newest = core.configs.newestFor(m.id);
      return {
        ...m,
        state: core.configs.stateOf(m.id),
        config: held ? presentConfig(core, held, req.token?.role) : null,
        lastConfig: newest ? presentConfig(core, newest, req.token?.role) : null,
        conflicts: core.conflicts.list({ machine: m.id }),
        // As GET …/power answers it (never the password), or null: the machine screen needs no 404 to learn "none".
        power: core.power.record(m.id) ? core.power.get(m.id) : null,
      };
    },
  );
  app.patch<Id & { Body: Static<typeof MachinePatchBody> }>(
    "/machines/:id",
    {
      schema: { tags, summary: "Change hostname and labels", params: IdParams, body: MachinePatchBody },
      config: { role: "operator" },
    },
    async (req) => core.machines.update(req.params.id, req.body),
  );
  app.delete<Id>(
    "/machines/:id",
    {
      schema: { tags, summary: "Forget a machine (its history stays)", params: IdParams },
      config: { role: "operator" },
    },
    async (req, reply) => {
      await core.machines.forget(
        req.params.id,
        (id) => core.configs.holdingFor(id) !== undefined,
        (id, at) => {
          // Its drafts and queued commands end with it: nothing prunes them, nothing else could use them.
          const drafts = core.configs.cancelDraftsOps(id, at);
          const commands = core.commands.failLiveOps(id, at);
          return {
            ops: [
              ...core.conflicts.forgetOps(id),
              ...drafts.ops,
              ...commands.ops,
              ...core.power.forgetOps(id),
            ],
            events: [...drafts.events, ...commands.events],
          };
        },
      );
      return reply.status(204).send();
    },
  );
  app.get<Id>(
    "/machines/:id/events",
    { schema: { tags, summary: "A machine's history", params: IdParams }, config: { role: "viewer" } },
    async (req) => {
      const m = core.machines.find(core.machines.get(req.params.id).id)!;
      return { items: core.events.forMachine(m.id) };
    },
  );
}
