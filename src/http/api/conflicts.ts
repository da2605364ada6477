import { Type, type Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/create-core.js";
import { IdParams } from "./schemas.js";

const ConflictListQuery = Type.Object(
  {
    state: Type.Optional(
      Type.Union(
        ["open", "merged", "dismissed", "all"].map((s) => Type.Literal(s)),
        { default: "open" },
      ),
    ),
    machine: Type.Optional(Type.String({ maxLength: 64 })),
    // Paged like the machine list: invented machines can raise tens of thousands of conflicts, and one
    // answer with all of them cost every viewer's request tens of megabytes.
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1000 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
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
        response: { 200: Type.Object({ items: Type.Array(Conflict), total: Type.Integer() }) },
      },
      config: { role: "viewer" },
    },
    async (req) => {
      const machine = req.query.machine ? core.machines.get(req.query.machine).id : undefined;
      const all = core.conflicts.list({ state: req.query.state as "open", machine });
      const offset = req.query.offset ?? 0;
      return { items: all.slice(offset, offset + (req.query.limit ?? 1000)), total: all.length };
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
