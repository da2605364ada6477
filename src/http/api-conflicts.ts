import { Type, type Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../core/enforcer.js";
import { IdParams } from "./api-schemas.js";

const ConflictListQuery = Type.Object(
  {
    state: Type.Optional(
      Type.Union(
        ["open", "merged", "dismissed", "all"].map((s) => Type.Literal(s)),
        { default: "open" },
      ),
    ),
    machine: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
const ResolveBody = Type.Object(
  { action: Type.Union([Type.Literal("merge"), Type.Literal("dismiss")]) },
  { additionalProperties: false },
);
const Identity = Type.Object({
  kind: Type.Union([Type.Literal("mac"), Type.Literal("uuid"), Type.Literal("serial")]),
  value: Type.String(),
});
/** A stored identity conflict, as the API answers it. */
const Conflict = Type.Object({
  id: Type.String(),
  machine: Type.String({ description: "the machine whose credential made the claim" }),
  other: Type.String({ description: "the machine that holds the claimed identities" }),
  identities: Type.Array(Identity),
  reported: Type.Object({
    macs: Type.Array(Type.String()),
    uuid: Type.Optional(Type.String()),
    serial: Type.Optional(Type.String()),
  }),
  agent: Type.String(),
  credential: Type.String(),
  state: Type.Union([Type.Literal("open"), Type.Literal("merged"), Type.Literal("dismissed")]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  resolvedBy: Type.Optional(Type.String()),
});

type Id = { Params: Static<typeof IdParams> };
const tags = ["conflicts"];

/** Identity conflicts: listed for everyone, settled (merge or keep apart) by an operator. */
export function registerConflictRoutes(app: FastifyInstance, core: Core): void {
  app.get<{ Querystring: Static<typeof ConflictListQuery> }>(
    "/conflicts",
    {
      schema: {
        tags,
        summary: "Identity conflicts, newest first (open ones unless state= says otherwise)",
        querystring: ConflictListQuery,
        response: { 200: Type.Object({ items: Type.Array(Conflict) }) },
      },
      config: { role: "viewer" },
    },
    async (req) => {
      const machine = req.query.machine ? core.machines.get(req.query.machine).id : undefined;
      return { items: core.conflicts.list({ state: req.query.state as "open", machine }) };
    },
  );
  app.get<Id>(
    "/conflicts/:id",
    {
      schema: { tags, summary: "One identity conflict", params: IdParams, response: { 200: Conflict } },
      config: { role: "viewer" },
    },
    async (req) => core.conflicts.get(req.params.id),
  );
  app.post<Id & { Body: Static<typeof ResolveBody> }>(
    "/conflicts/:id/resolve",
    {
      schema: {
        tags,
        summary: "Merge the reporting machine into the other one, or dismiss (keep them apart)",
        params: IdParams,
        body: ResolveBody,
        response: { 200: Conflict },
      },
      config: { role: "operator" },
    },
    async (req) => core.conflicts.resolve(req.params.id, req.body.action, req.token?.name ?? "operator"),
  );
}
