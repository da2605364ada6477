import { Type, type Static } from "@sinclair/typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Core } from "../core/enforcer.js";
import { EnforcerError } from "../domain/errors.js";
import { parseMac, type Mac } from "../domain/mac.js";
import { IdParams } from "./api-schemas.js";

const ReportBody = Type.Object(
  {
    macs: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 16 }),
    inventory: Type.Record(Type.String({ maxLength: 128 }), Type.Unknown()),
  },
  { additionalProperties: false },
);
const PollQuery = Type.Object(
  {
    mac: Type.Optional(Type.String({ maxLength: 64 })),
    wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 })),
    /** `lines`: one "ID TYPE" line per command, for the busybox shell agent, which has no JSON parser. */
    format: Type.Optional(Type.Union([Type.Literal("json"), Type.Literal("lines")])),
  },
  { additionalProperties: false },
);
const AckBody = Type.Object(
  { ok: Type.Boolean(), detail: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false },
);

/** The JSON agent protocol (docs/agent-protocol.md): report inventory, long-poll commands, acknowledge them. */
export function registerAgentRoutes(app: FastifyInstance, core: Core): void {
  const tags = ["agent protocol"];
  // Open long polls, ended before the server closes (else close() waits for each to run out).
  const polls = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const end of polls) end();
  });
  const agentId = (req: FastifyRequest) =>
    req.agentMac ? "json:discovery" : `json:${req.token?.name ?? "agent"}`;
  // A discovery key speaks for its own machine; an agent token names the machine it speaks for.
  const machineOf = (req: FastifyRequest, mac: string | undefined): Mac => {
    if (req.agentMac) return req.agentMac;
    if (!mac) throw new EnforcerError("ENF_ERR_MAC_INVALID", "an agent token must name the machine: ?mac=");
    return parseMac(mac);
  };

  app.post<{ Body: Static<typeof ReportBody> }>(
    "/agent/report",
    {
      schema: { tags, summary: "Report a machine's inventory", body: ReportBody },
      config: { role: "agent" },
      bodyLimit: 64 * 1024,
    },
    async (req) => {
      const m = await core.agents.report(agentId(req), req.body.macs, req.body.inventory, req.agentMac);
      return { machine: m.id };
    },
  );
  app.get<{ Querystring: Static<typeof PollQuery> }>(
    "/agent/commands",
    {
      schema: { tags, summary: "Long-poll the machine's commands", querystring: PollQuery },
      config: { role: "agent" },
    },
    async (req, reply) => {
      const wait = (req.query.wait ?? 25) * 1000;
      // The poll ends early when the agent hangs up or the server stops; then nothing is taken.
      const gone = new AbortController();
      const end = () => gone.abort();
      polls.add(end);
      reply.raw.once("close", end);
      const items = await core.agents
        .takeCommands(agentId(req), machineOf(req, req.query.mac), wait, gone.signal)
        .finally(() => {
          polls.delete(end);
          reply.raw.off("close", end);
        });
      if (req.query.format === "lines")
        return reply.type("text/plain").send(items.map((c) => `${c.id} ${c.type}\n`).join(""));
      return { items };
    },
  );
  app.post<{
    Params: Static<typeof IdParams>;
    Body: Static<typeof AckBody>;
    Querystring: Static<typeof PollQuery>;
  }>(
    "/agent/commands/:id",
    {
      schema: {
        tags,
        summary: "Acknowledge a command",
        params: IdParams,
        body: AckBody,
        querystring: PollQuery,
      },
      config: { role: "agent" },
    },
    async (req) =>
      core.agents.acknowledge(
        machineOf(req, req.query.mac),
        req.params.id,
        req.body.ok,
        req.body.detail ?? "",
      ),
  );
}
