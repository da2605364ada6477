// The live event stream with several instances over one FAKE shared store (two views of one engine, as
// two processes over etcd): an event committed through instance A reaches a client of B's
// `/api/v1/events`, over a real socket, and a client reconnecting to B gets what it missed.
import assert from "node:assert/strict";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { twoInstances, until } from "../testing/instances.js";

const MAC = "52:54:00:00:15:04";

/** Opens B's event stream; collects each event's id and kind as the stream delivers them. */
function stream(port: number, token: string, query = "") {
  const got: { id: string; kind: string }[] = [];
  const req = request({
    host: "127.0.0.1",
    port,
    path: `/api/v1/events${query}`,
    headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
  });
  let buf = "";
  req.on("response", (res) => {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      buf += chunk;
      for (let at = buf.indexOf("\n\n"); at >= 0; at = buf.indexOf("\n\n")) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data) got.push({ id, kind: (JSON.parse(data) as { kind: string }).kind });
      }
    });
  });
  req.on("error", () => {});
  req.end();
  return { got, close: () => req.destroy() };
}

test("fake shared store: an event committed through A reaches the live stream of B, and B's replay", async () => {
  const { a, b, close } = await twoInstances();
  await b.http.listen({ host: "127.0.0.1", port: 0 });
  const port = (b.http.server.address() as AddressInfo).port;
  const live = stream(port, b.tokens.viewer);
  try {
    await new Promise((r) => setTimeout(r, 50));
    await a.api({ method: "POST", url: "/api/v1/machines", payload: { mac: MAC } });
    await a.api({ method: "POST", url: "/api/v1/commands", payload: { machine: MAC, type: "reboot" } });
    await until(() => live.got.some((e) => e.kind === "command.queued"), "command.queued on B's stream");
    const kinds = live.got.map((e) => e.kind);
    assert.deepEqual(kinds.slice(kinds.indexOf("machine.created")), ["machine.created", "command.queued"]);
    // A client that reconnects to B with the last id it had gets the rest; one from the start gets both.
    const first = live.got.find((e) => e.kind === "machine.created")!;
    const resumed = stream(port, b.tokens.viewer, `?after=${first.id}`);
    const all = stream(port, b.tokens.viewer, "?after=0");
    try {
      await until(() => resumed.got.length >= 1 && all.got.length >= 2, "the replays");
      assert.deepEqual(
        resumed.got.map((e) => e.kind),
        ["command.queued"],
      );
      assert.deepEqual(
        all.got.map((e) => e.kind),
        ["machine.created", "command.queued"],
      );
    } finally {
      resumed.close();
      all.close();
    }
  } finally {
    live.close();
    await close();
  }
});
