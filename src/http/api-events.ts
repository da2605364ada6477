import type { Static } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { Core } from "../core/enforcer.js";
import type { MachineEvent } from "../domain/events.js";
import { parseMac } from "../domain/mac.js";
import { EventStreamQuery } from "./api-schemas.js";

const KEEPALIVE_MS = 15_000;

/**
 * `GET /api/v1/events`: server-sent events of everything that happens, optionally for one machine.
 * Each event's id is its sequence number, so a client that reconnects with `Last-Event-ID` (or `?after=`)
 * gets exactly what it missed, then the live stream.
 */
export function registerEventRoutes(app: FastifyInstance, core: Core): void {
  // Open streams never end by themselves: end them before the server closes, or close() would wait forever.
  const open = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const end of open) end();
  });
  app.get<{ Querystring: Static<typeof EventStreamQuery> }>(
    "/events",
    {
      schema: {
        tags: ["events"],
        summary: "Live event stream (text/event-stream)",
        querystring: EventStreamQuery,
      },
      config: { role: "viewer" },
    },
    async (req, reply) => {
      const machine = req.query.machine ? parseMac(req.query.machine) : undefined;
      const lastId = Number(req.headers["last-event-id"]);
      const after =
        Number.isInteger(lastId) && lastId >= 0 ? lastId : (req.query.after ?? Number.MAX_SAFE_INTEGER);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      const send = (e: MachineEvent) => {
        if (!machine || e.machine === machine)
          res.write(`id: ${e.seq}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`);
      };
      let sent = after === Number.MAX_SAFE_INTEGER ? core.events.lastSeq() : after;
      for (const e of core.events.since(sent, machine)) send(e);
      sent = core.events.lastSeq();
      res.write(": connected\n\n");
      const unsubscribe = core.events.subscribe((e) => {
        if (e.seq > sent) send(e);
      });
      const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
      const close = () => {
        clearInterval(keepalive);
        unsubscribe();
        open.delete(end);
      };
      const end = () => {
        close();
        res.end();
      };
      open.add(end);
      req.raw.on("close", close);
    },
  );
}
