import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Core } from "../../core/create-core.js";
import type { BootDecision } from "../../domain/boot-decision.js";
import type { HttpWhat } from "../../domain/boot-timeline.js";

/** The machine script's decision per request, for the hook that reports it once the answer is sent. */
const decisions = new WeakMap<FastifyRequest, BootDecision>();

/** Notes what the machine or discovery script decided, for the timeline. */
export function noteDecision(req: FastifyRequest, d: BootDecision): void {
  decisions.set(req, d);
}

/** A boot path as the timeline names it; the secret of a `/p/` URL is never kept. */
function classify(url: string): { what: HttpWhat; path: string; secret?: string } | undefined {
  const path = url.split("?", 1)[0]!;
  if (path === "/boot.ipxe") return { what: "boot-script", path };
  if (path === "/boot/machine") return { what: "machine-script", path };
  if (path === "/boot/discovery") return { what: "discovery-script", path };
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
 */
export function registerTimelineHook(app: FastifyInstance, core: Core): void {
  // The machine script's MAC claims its address's earlier steps as the request arrives: a config it triggers
  // publishes `config.triggered` before the answer, and that step must land in the same attempt.
  app.addHook("onRequest", async (req) => {
    const c = classify(req.url);
    if (c?.what !== "machine-script" && c?.what !== "discovery-script") return;
    const mac = (req.query as { mac?: unknown } | undefined)?.mac;
    if (typeof mac === "string") core.timeline.neighbour(req.ip, mac);
  });
  app.addHook("onResponse", async (req, reply) => {
    const c = classify(req.url);
    if (!c) return;
    const d = decisions.get(req);
    const query = req.query as { mac?: unknown } | undefined;
    const secretMac = c.secret ? core.configs.bySecretToken(c.secret)?.machine : undefined;
    const mac = secretMac ?? (typeof query?.mac === "string" ? query.mac : undefined);
    const length = Number(reply.getHeader("content-length"));
    core.timeline.http({
      kind: "http",
      ip: req.ip,
      ...(mac ? { mac } : {}),
      what: c.what,
      path: c.path,
      status: reply.statusCode,
      ...(Number.isFinite(length) ? { bytes: length } : {}),
      durationMs: Math.round(reply.elapsedTime),
      ...(d ? { decision: d.kind } : {}),
      ...(d?.kind === "none" ? { reason: d.reason } : {}),
    });
  });
}
