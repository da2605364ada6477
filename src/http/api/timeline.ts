import { Type, type Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/create-core.js";
import type { PresentedAttempt } from "../../core/boot-timeline.js";
import { stepLabel } from "../../domain/boot-timeline.js";
import { EnforcerError } from "../../domain/errors.js";
import { parseMac } from "../../domain/mac.js";
import { IdParams } from "./schemas.js";

const TimelineQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 5 })) },
  { additionalProperties: false },
);
/** One step; its other fields depend on its kind (dhcp, tftp, http, provision): see docs/timeline.md. */
const Step = Type.Object(
  {
    kind: Type.Union(["dhcp", "tftp", "http", "provision"].map((k) => Type.Literal(k))),
    at: Type.String(),
    lastAt: Type.Optional(Type.String()),
    count: Type.Integer({ description: "identical repeats merged into this step (retries)" }),
    label: Type.String({ description: "the step in a few words" }),
  },
  { additionalProperties: true },
);
const Hint = Type.Object({ code: Type.String(), text: Type.String() });
/** One boot attempt as the API answers it. */
const Attempt = Type.Object({
  mac: Type.String({ description: "the NIC that booted" }),
  n: Type.Integer(),
  startedAt: Type.String(),
  lastAt: Type.String(),
  outcome: Type.String({
    description: "in-progress, provisioned, config-served, discovery, fell-through or stopped",
  }),
  stopIndex: Type.Optional(Type.Integer()),
  stop: Type.Optional(Type.String()),
  hint: Type.Optional(Hint),
  droppedSteps: Type.Integer(),
  steps: Type.Array(Step),
});
const Recorded = Type.Object({
  seq: Type.Integer(),
  at: Type.String(),
  detail: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
});
const Timeline = Type.Object({
  mac: Type.String(),
  machine: Type.Union([Type.String(), Type.Null()], { description: "the known machine's id, if any" }),
  attempts: Type.Array(Attempt, { description: "live attempts in memory, oldest first" }),
  recorded: Type.Array(Recorded, { description: "persisted boot.attempt summaries, oldest first" }),
});

const RECORDED_SHOWN = 10;
const iso = (ms: number) => new Date(ms).toISOString();

/** An attempt with ISO times and a label per step. */
function presentAttempt(a: PresentedAttempt) {
  return {
    ...a,
    startedAt: iso(a.startedAt),
    lastAt: iso(a.lastAt),
    steps: a.steps.map((s) => ({
      ...s,
      at: iso(s.at),
      ...(s.lastAt !== undefined ? { lastAt: iso(s.lastAt) } : {}),
      label: stepLabel(s),
    })),
  };
}

/** `GET /machines/:id/timeline`: a machine's latest boot attempts, their steps, where each stopped and why. */
export function registerTimelineRoutes(app: FastifyInstance, core: Core): void {
  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof TimelineQuery> }>(
    "/machines/:id/timeline",
    {
      schema: {
        tags: ["machines"],
        summary: "A machine's boot timeline: the latest attempts (live), and the recorded summaries",
        params: IdParams,
        querystring: TimelineQuery,
        response: { 200: Timeline },
      },
      config: { role: "viewer" },
    },
    async (req) => {
      const mac = parseMac(req.params.id);
      const m = core.machines.find(mac);
      const macs = m ? [...new Set([mac, ...m.macs])] : [mac];
      if (!m && !core.timeline.has(macs))
        throw new EnforcerError("ENF_ERR_MACHINE_NOT_FOUND", `no machine or boot timeline for ${mac}`, {
          machine: mac,
        });
      const recorded = m
        ? core.events
            .forMachine(m.id, 0, Number.MAX_SAFE_INTEGER)
            .filter((e) => e.kind === "boot.attempt")
            .slice(-RECORDED_SHOWN)
            .map((e) => ({ seq: e.seq, at: e.at, detail: e.detail ?? {} }))
        : [];
      return {
        mac,
        machine: m?.id ?? null,
        attempts: core.timeline.attempts(macs, req.query.limit ?? 5).map(presentAttempt),
        recorded,
      };
    },
  );
}
