import assert from "node:assert/strict";
import { test } from "node:test";
import { EnforcerClient, type StreamEvent } from "./api-client.js";

/** A client whose event stream answers with these chunks, as a server might write them to the socket. */
function streaming(chunks: string[]): EnforcerClient {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
      c.close();
    },
  });
  return new EnforcerClient("http://enforcer.test", "t", async () => new Response(body, { status: 200 }));
}

async function collect(client: EnforcerClient): Promise<StreamEvent[]> {
  const got: StreamEvent[] = [];
  await client.events((e) => got.push(e));
  return got;
}

const e1 = { seq: 1, at: "2026-01-01T00:00:00.000Z", machine: "52:54:00:00:00:01", kind: "machine.seen" };
const e2 = { ...e1, seq: 2, kind: "config.armed", config: "c1" };

test("event stream: a data field over several lines is one event, its lines joined", async () => {
  const json = JSON.stringify(e2, null, 1).split("\n");
  const frame = `id: 2\nevent: config.armed\n${json.map((l) => `data: ${l}`).join("\n")}\n\n`;
  assert.deepEqual(await collect(streaming([frame])), [e2]);
});

test("event stream: events split across chunks anywhere (even inside a field name or CRLF) arrive whole", async () => {
  const text =
    `: heartbeat\n\nid: 1\r\nevent: machine.seen\r\ndata: ${JSON.stringify(e1)}\r\n\r\n` +
    `id: 2\nevent: config.armed\ndata: ${JSON.stringify(e2)}\n\n`;
  // Every split point, so no boundary is special.
  for (let i = 1; i < text.length; i += 7) {
    assert.deepEqual(await collect(streaming([text.slice(0, i), text.slice(i)])), [e1, e2], `split at ${i}`);
  }
  // And byte by byte, a multi-byte character split between chunks too.
  const accented = { ...e1, detail: { hostname: "hôte-é" } };
  const bytes = new TextEncoder().encode(`data: ${JSON.stringify(accented)}\n\n`);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const b of bytes) c.enqueue(Uint8Array.of(b));
      c.close();
    },
  });
  const client = new EnforcerClient("http://enforcer.test", "t", async () => new Response(body));
  assert.deepEqual(await collect(client), [accented]);
});
