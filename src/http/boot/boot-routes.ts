import { Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { MachineScriptAnswer } from "../../core/boot-service.js";
import type { Core } from "../../core/create-core.js";
import type { BootIdentity } from "../../domain/machine.js";
import { EnforcerError } from "../../domain/errors.js";
import type { BootDecision } from "../../domain/boot-decision.js";
import { renderDecision } from "../../protocols/ipxe/decision-script.js";
import { generalScriptMemo } from "../../protocols/ipxe/general-script.js";
import { bootIdentity, type BootQuery } from "./boot-identity.js";
import { AddressLimiter } from "../address-limiter.js";
import type { ErrorBody } from "../errors.js";
import type { Metrics } from "../metrics.js";
import { noteDecision, registerTimelineHook } from "./timeline-hook.js";

const BootQuerySchema = Type.Object(
  {
    mac: Type.String({ maxLength: 64 }),
    uuid: Type.Optional(Type.String({ maxLength: 64 })),
    serial: Type.Optional(Type.String({ maxLength: 256 })),
    arch: Type.Optional(Type.String({ maxLength: 32 })),
    platform: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: true },
);
const SecretParams = Type.Object({
  secret: Type.String({ pattern: "^[A-Za-z0-9_-]{16,64}$" }),
  file: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" })),
});

/**
 * The boot side, open because iPXE cannot authenticate. It reveals only a machine's own script, and the
 * provisioning files and completion callback only to whoever holds the config's secret URL.
 */
/** Options for the open boot endpoints. */
export interface BootRouteOptions {
  /** Requests per minute per address (iPXE retries, but a rack is not a flood). */
  rateLimit: number;
  metrics?: Metrics;
}

export function registerBootRoutes(app: FastifyInstance, core: Core, opts: BootRouteOptions): void {
  // One budget per address across all boot routes (0: no limit, and no hook at all). A callback hook, not an
  // async one: no promise and no extra turn of the microtask queue per request.
  if (opts.rateLimit > 0) {
    const limiter = new AddressLimiter(opts.rateLimit);
    app.addHook("onRequest", (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
      if (!limiter.exceeded(req.ip)) {
        limiter.hit(req.ip);
        return done();
      }
      done(
        new EnforcerError(
          "ENF_ERR_AUTH_RATE_LIMITED",
          `more than ${opts.rateLimit} requests a minute from this address`,
        ),
      );
    });
    app.addHook("onClose", async () => limiter.stop());
  }
  registerTimelineHook(app, core);
  const general = generalScriptMemo();
  app.get("/boot.ipxe", { schema: { hide: true } }, (_req, reply) =>
    sendScript(reply, general(core.boot.generalInputs())),
  );

  const counted = bootCounters(opts.metrics);
  const answered = (
    req: FastifyRequest<{ Querystring: BootQuery }>,
    reply: FastifyReply,
    who: BootIdentity,
  ) => {
    return (a: MachineScriptAnswer) => {
      // A trigger the store refused (another instance won it, no quorum): once, with the config's id.
      if (a.unwritten?.config)
        req.log.warn(
          { mac: req.query.mac, config: a.unwritten.config, code: a.unwritten.code },
          "config trigger not written: the machine falls through and retries",
        );
      noteDecision(req, a.decision, who.mac);
      counted(a.decision.kind);
      // A line for what changed (a machine seen, a config served): a rack booting its disks every morning
      // writes nothing, and neither does a flood of requests for machines seen a moment ago.
      if (a.wrote || a.decision.kind !== "none")
        req.log.info({ mac: req.query.mac, answer: a.decision.kind }, "machine script request");
      return sendAnswer(reply, a.decision, who.platform);
    };
  };
  app.get<{ Querystring: BootQuery }>(
    "/boot/machine",
    { schema: { hide: true, querystring: BootQuerySchema } },
    (req, reply) => {
      const who = bootIdentity(req.query);
      // Before the decision: a config it triggers publishes `config.triggered`, which must join this
      // MAC's attempt, with the steps its address made before (the loader, boot.ipxe).
      core.timeline.neighbour(req.ip, who.mac);
      const answer = core.boot.machineRequest(who);
      const send = answered(req, reply, who);
      return answer instanceof Promise ? answer.then(send) : send(answer);
    },
  );

  app.get<{ Querystring: BootQuery }>(
    "/boot/discovery",
    { schema: { hide: true, querystring: BootQuerySchema } },
    async (req, reply) => {
      const who = bootIdentity(req.query);
      core.timeline.neighbour(req.ip, who.mac);
      const answer = await core.boot.discoveryScript(who);
      noteDecision(req, answer, who.mac);
      return sendAnswer(reply, answer, who.platform);
    },
  );

  app.get<{ Params: { secret: string; file: string } }>(
    "/p/:secret/:file",
    { schema: { hide: true, params: SecretParams } },
    async (req, reply) => {
      const body = await core.configFiles.download(req.params.secret, req.params.file);
      return reply.type(contentType(req.params.file)).header("cache-control", "no-store").send(body);
    },
  );

  const complete = async (req: { params: { secret: string } }, reply: FastifyReply) => {
    const c = await core.configs.complete(req.params.secret);
    return reply.type("text/plain; charset=utf-8").send(`completed ${c.id}\n`);
  };
  app.get<{ Params: { secret: string } }>(
    "/p/:secret/complete",
    { schema: { hide: true, params: SecretParams } },
    complete,
  );
  app.post<{ Params: { secret: string } }>(
    "/p/:secret/complete",
    { schema: { hide: true, params: SecretParams } },
    complete,
  );
}

/** The boot request counter by answer, its three children looked up once instead of per request. */
function bootCounters(metrics: Metrics | undefined): (kind: BootDecision["kind"]) => void {
  if (!metrics) return () => undefined;
  const by = {
    config: metrics.bootRequests.labels({ answer: "config" }),
    discovery: metrics.bootRequests.labels({ answer: "discovery" }),
    none: metrics.bootRequests.labels({ answer: "none" }),
  };
  return (kind) => by[kind].inc();
}

function sendScript(reply: FastifyReply, script: string) {
  return reply.type("text/plain; charset=utf-8").header("cache-control", "no-store").send(script);
}

/** The fall-through answers, built once: this is the hot path of every ordinary boot. */
const NO_SCRIPT = {
  "no-config": noScript("no-config", "nothing is armed for it"),
  "window-passed": noScript("window-passed", "its retry window has passed"),
};

function noScript(reason: string, why: string): string {
  const body: ErrorBody = {
    code: "ENF_ERR_BOOT_NO_SCRIPT",
    message: `no script for this machine here: ${why}`,
    details: { reason },
  };
  return JSON.stringify(body);
}

/** The core decides, the iPXE renderer writes the script (for the platform the request named). */
function sendAnswer(reply: FastifyReply, answer: BootDecision, platform: string | undefined) {
  if (answer.kind !== "none") return sendScript(reply, renderDecision(answer, platform));
  return reply.status(404).type("application/json; charset=utf-8").send(NO_SCRIPT[answer.reason]);
}

function contentType(file: string): string {
  if (file.endsWith(".ign")) return "application/json";
  if (file.endsWith(".gz")) return "application/gzip";
  return "text/plain; charset=utf-8";
}
