import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Core } from "../../core/create-core.js";
import type { BootDecision } from "../../domain/boot-decision.js";
import type { HttpWhat } from "../../domain/boot-timeline.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The machine or discovery script's decision, for the hook that reports it once the answer is sent. */
    bootDecision?: BootDecision | null;
    /** The MAC that script parsed from its query (canonical: the timeline need not parse it again). */
    bootMac?: string | null;
  }
}

/**
 * Notes what the machine or discovery script decided for this MAC, for the timeline. On the request itself
 * (a decorated field), not in a WeakMap: a WeakMap entry per request is work for the collector too.
 */
export function noteDecision(req: FastifyRequest, d: BootDecision, mac: string): void {
  req.bootDecision = d;
  req.bootMac = mac;
}

/** A boot path as the timeline names it; the secret of a `/p/` URL is never kept. */
interface Classified {
  what: HttpWhat;
  path: string;
  secret?: string;
}

/**
 * The hot boot paths, tried first: one object each, whose path string every step of them shares (a step keeps
 * its path for as long as its timeline lives, and the request's own copy would be kept with it).
 */
const EXACT = new Map<string, Classified>(
  (
    [
      ["/boot.ipxe", "boot-script"],
      ["/boot/machine", "machine-script"],
      ["/boot/discovery", "discovery-script"],
    ] as const
  ).map(([path, what]) => [path, { what, path }]),
);

function classify(url: string): Classified | undefined {
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const exact = EXACT.get(path);
  if (exact) return exact;
  if (path.startsWith("/tftp/") || path.startsWith("/assets/")) return { what: "boot-file", path };
  const p = /^\/p\/([^/]+)\/([^/]+)$/.exec(path);
  if (!p) return undefined;
  const file = p[2]!;
  return file === "complete"
    ? { what: "completion", path: "/p/…/complete", secret: p[1]! }
    : { what: "provisioning-file", path: `/p/…/${file}`, secret: p[1]! };
}

/**
 * Reports every boot request to the timeline once answered (status, size, time): the general script and
 * boot files by the client's address, the machine script by its MAC, a config's URLs by the config's machine.
 * The machine and discovery scripts name their MAC to the timeline themselves as they start (`neighbour`),
 * before a config they trigger publishes `config.triggered`, so that step lands in the same attempt.
 */
export function registerTimelineHook(app: FastifyInstance, core: Core): void {
  // Declared up front, so that every request object has the fields from the start (one shape).
  app.decorateRequest("bootDecision", null);
  app.decorateRequest("bootMac", null);
  // A callback hook, not an async one: no promise and no extra turn of the microtask queue per request.
  app.addHook("onResponse", (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    report(core, req, reply);
    done();
  });
}

function report(core: Core, req: FastifyRequest, reply: FastifyReply): void {
  const c = classify(req.url);
  if (!c) return;
  const d = req.bootDecision;
  const query = req.query as { mac?: unknown } | undefined;
  const secretMac = c.secret ? core.configs.bySecretToken(c.secret)?.machine : undefined;
  // A request refused before its script parsed the MAC (a bad query) still names what it asked for.
  const mac = secretMac ?? req.bootMac ?? (typeof query?.mac === "string" ? query.mac : undefined);
  const length = Number(reply.getHeader("content-length"));
  // Field by field, not by spreads of small objects: this runs for every boot request (docs/performance.md).
  const step: Parameters<Core["timeline"]["http"]>[0] = {
    kind: "http",
    ip: req.ip,
    what: c.what,
    path: c.path,
    status: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime),
  };
  if (mac) step.mac = mac;
  if (Number.isFinite(length)) step.bytes = length;
  if (d) step.decision = d.kind;
  if (d?.kind === "none") step.reason = d.reason;
  core.timeline.http(step);
}
