// The event stream against a client that does not read: what the server holds for it stays bounded, for
// the replay (`?after=0`) and for live events. A Unix socket keeps the kernel's buffers small, so what
// piles up is the server's own.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerResponse } from "node:http";
import { test } from "node:test";
import { testCore } from "../../core/testing/fixtures.js";
import { buildHttpServer } from "../server.js";

const BIG = "x".repeat(16 * 1024);
/** Well above any sane buffer for one stream; without backpressure the server held all ~6.5 MB. */
const LIMIT = 2 * 1024 * 1024;

async function streamServer() {
  const t = testCore();
  const app = buildHttpServer(t.core, { logger: false });
  const streams: ServerResponse[] = [];
  app.addHook("onRequest", async (req, reply) => {
    if (req.url.startsWith("/api/v1/events")) streams.push(reply.raw);
  });
  const token = (await t.core.tokens.create("watcher", "viewer")).token;
  const dir = mkdtempSync(join(tmpdir(), "enf-sse-"));
  const path = join(dir, "http.sock");
  await app.listen({ path });
  /** A client that sends the request and then reads nothing. */
  const stalled = (query: string): Promise<Socket> =>
    new Promise((resolve) => {
      const s = connect(path, () => {
        s.write(`GET /api/v1/events${query} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
        s.pause();
        resolve(s);
      });
    });
  const close = async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { ...t, streams, stalled, close };
}

const until = async (ok: () => boolean, ms = 3000) => {
  for (const end = Date.now() + ms; !ok() && Date.now() < end;) await new Promise((r) => setTimeout(r, 10));
};
const held = (r: ServerResponse) => (r.destroyed || r.writableEnded ? 0 : r.writableLength);

test("events: a client that reads nothing does not make the server hold live events without bound", async () => {
  const s = await streamServer();
  try {
    const client = await s.stalled("");
    await until(() => s.streams.length === 1);
    for (let i = 0; i < 400; i++) {
      const e = s.core.events.record("machine.seen", "52:54:00:00:00:01", new Date().toISOString(), {
        detail: { pad: BIG },
      });
      s.core.events.publish([e.event]);
    }
    assert.ok(held(s.streams[0]!) < LIMIT, `the stream holds ${held(s.streams[0]!)} bytes`);
    client.destroy();
  } finally {
    await s.close();
  }
});

test("events: a replay from 0 to a client that reads nothing waits for it instead of buffering", async () => {
  const s = await streamServer();
  try {
    // One event per machine: publishing trims a long history of one machine (its cap), not the point here.
    const recorded = Array.from({ length: 400 }, (_, i) =>
      s.core.events.record(
        "machine.seen",
        `52:54:00:00:${(i >> 8).toString(16)}:${(i & 255).toString(16)}`,
        new Date().toISOString(),
        {
          detail: { pad: BIG },
        },
      ),
    );
    await s.store.commit(recorded.map((r) => r.op));
    // As every writer does once its commit resolved: only then may a replay hand the events out.
    s.core.events.publish(recorded.map((r) => r.event));
    const client = await s.stalled("?after=0");
    await until(() => s.streams.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(held(s.streams[0]!) < LIMIT, `the stream holds ${held(s.streams[0]!)} bytes`);
    // Once the client reads, the whole replay arrives, in order, with nothing skipped.
    let text = "";
    client.setEncoding("utf8");
    client.on("data", (d: string) => (text += d));
    client.resume();
    await until(() => text.includes("id: 400\n"), 5000);
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(
      ids,
      [...Array(400).keys()].map((i) => i + 1),
    );
    client.destroy();
  } finally {
    await s.close();
  }
});

test("events: a client whose Last-Event-ID is ahead of the server (a restored backup) still gets live events", async () => {
  const s = await streamServer();
  try {
    const client = await s.stalled("?after=1000000");
    await until(() => s.streams.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    let text = "";
    client.setEncoding("utf8");
    client.on("data", (d: string) => (text += d));
    client.resume();
    const e = s.core.events.record("machine.seen", "52:54:00:00:00:01", new Date().toISOString());
    await s.store.commit([e.op]);
    s.core.events.publish([e.event]);
    await until(() => text.includes(`id: ${e.event.seq}\n`));
    assert.match(text, new RegExp(`id: ${e.event.seq}\\n`));
    client.destroy();
  } finally {
    await s.close();
  }
});
