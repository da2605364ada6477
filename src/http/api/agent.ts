import { Type, type Static } from "@sinclair/typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Core } from "../../core/create-core.js";
import type { AgentCredential } from "../../core/agent-credentials.js";
import { IdParams } from "./schemas.js";

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

/** Long polls one machine may have open at once; a newer one ends the oldest (answered empty). */
const MAX_POLLS_PER_MACHINE = 2;

/**
 * The JSON agent protocol (docs/agents.md, "Enforcer's JSON agent protocol"): report inventory, long-poll
 * commands, acknowledge them. The routes live here because this agent calls in over HTTP; what they do is
 * the core's (agent-reports.ts, command-polls.ts).
 */
export function registerAgentRoutes(app: FastifyInstance, core: Core): void {
  const tags = ["agent protocol"];
  // Open long polls, ended before the server closes (else close() waits for each to run out).
  const polls = new Set<() => void>();
  // Each machine's open polls, oldest first. One agent polls one at a time; without a bound one discovery
  // key (anyone on the boot network can get one) could hold thousands of connections and listeners.
  const byMachine = new Map<string, Set<() => void>>();
  app.addHook("preClose", async () => {
    for (const end of polls) end();
  });
  // Who speaks: a discovery key (its MAC) or a token; the core decides which machine that may be.
  const credentialOf = (req: FastifyRequest): AgentCredential => {
    if (req.agentMac)
      return {
        kind: "discovery",
        mac: req.agentMac,
        issuedAt: req.token?.createdAt,
        machine: req.agentMachine,
      };
    const t = req.token!;
    return { kind: "token", id: t.id, name: t.name, role: t.role };
  };
  const agentId = (req: FastifyRequest) => core.credentials.agentId(credentialOf(req));
  const machineOf = (req: FastifyRequest, mac: string | undefined): string =>
    core.credentials.forCommands(credentialOf(req), mac);

  app.post<{ Body: Static<typeof ReportBody> }>(
    "/agent/report",
    {
      schema: { tags, summary: "Report a machine's inventory", body: ReportBody },
      config: { role: "agent" },
      bodyLimit: 64 * 1024,
    },
    async (req) => {
      const r = await core.agentReports.report(credentialOf(req), req.body.macs, req.body.inventory);
      return { machine: r.machine.id, conflicts: r.conflicts };
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
      const machine = machineOf(req, req.query.mac);
      const mine = byMachine.get(machine) ?? new Set<() => void>();
      byMachine.set(machine, mine);
      // A newer poll for the machine (the agent retried, or someone else holds its key) ends the oldest.
      for (const older of [...mine].slice(0, Math.max(0, mine.size - MAX_POLLS_PER_MACHINE + 1))) older();
      mine.add(end);
      polls.add(end);
      reply.raw.once("close", end);
      // Authorised when the poll began; asked again when it ends: the token may have been revoked, the key
      // replaced by a new boot, or ended by its machine booting a config.
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
      const stillSpeaks = () => {
        try {
          const live = req.agentMac ? !!core.sessions.verify(bearer) : !!core.tokens.verify(bearer);
          return live && machineOf(req, req.query.mac) === machine;
        } catch {
          return false;
        }
      };
      const taking = core.commandPolls.takeCommands(agentId(req), machine, wait, gone.signal, stillSpeaks);
      const items = await taking.finally(() => {
        polls.delete(end);
        mine.delete(end);
        if (mine.size === 0 && byMachine.get(machine) === mine) byMachine.delete(machine);
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
      core.commandPolls.acknowledge(
        machineOf(req, req.query.mac),
        req.params.id,
        req.body.ok,
        req.body.detail ?? "",
      ),
  );
}
