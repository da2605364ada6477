import type { Static } from "@sinclair/typebox";
import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { Core } from "../../core/create-core.js";
import type { MachineEvent } from "../../domain/events.js";
import { parseMac } from "../../domain/mac.js";
import { EventStreamQuery } from "./schemas.js";

const KEEPALIVE_MS = 15_000;
/** What one stream may have written and its client not yet read before it waits (replay) or ends (live). */
const MAX_PENDING_BYTES = 1024 * 1024;

/** Resolves true once the response drained, false if the client went away first. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}

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
      const frame = (e: MachineEvent) => `id: ${e.seq}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`;
      let unsubscribe = () => {};
      let keepalive: NodeJS.Timeout | undefined = undefined;
      const close = () => {
        clearInterval(keepalive);
        unsubscribe();
        open.delete(end);
      };
      // What a client has not read yet is dropped with its connection: it resumes with Last-Event-ID.
      const end = () => {
        close();
        res.end();
        if (res.writableLength > 0) res.destroy();
      };
      open.add(end);
      res.on("close", close);
      // The replay waits for the client to read before it writes more: a client that asks for everything
      // and reads nothing must not make the server copy the whole history into one socket's buffer.
      let sent = after === Number.MAX_SAFE_INTEGER ? core.events.durableSeq() : after;
      for (let batch = core.events.since(sent, machine); batch.length > 0;) {
        for (const e of batch) {
          if (res.destroyed || res.writableEnded) return;
          res.write(frame(e));
          sent = e.seq;
          if (res.writableLength > MAX_PENDING_BYTES && !(await drained(res))) return;
        }
        // Events recorded while the replay waited: fetched again, so none falls between replay and live.
        batch = core.events.since(sent, machine);
      }
      if (res.destroyed || res.writableEnded) return;
      // Everything stored is sent; a client ahead of this server (a restored backup) gets what comes next.
      sent = core.events.durableSeq();
      res.write(": connected\n\n");
      // Live events cannot wait: a client this far behind is cut off and resumes through the replay above.
      unsubscribe = core.events.subscribe((e) => {
        // After the cursor in the store's order: seq order, or with a shared store the apply order.
        if (!core.events.isAfter(e.seq, sent) || (machine && e.machine !== machine)) return;
        res.write(frame(e));
        sent = e.seq;
        if (res.writableLength > MAX_PENDING_BYTES) end();
      });
      keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
    },
  );
}
