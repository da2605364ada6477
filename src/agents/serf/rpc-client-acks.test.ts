// A nameless or repeated ack is no ack. Real serf sent one only under CI load, so a fake serf RPC server
// (named so) replays that stream of records here; the real serf tests are in test/serf/.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { decodeMultiStream, encode } from "@msgpack/msgpack";
import { SerfRpc } from "./rpc-client.js";

let server: Server;
let port = 0;

/** Answers the handshake, then a query with its acknowledgement and the records serf sent under load. */
async function fakeSerf(socket: Socket): Promise<void> {
  let bodyNext = false;
  for await (const obj of decodeMultiStream(socket)) {
    if (bodyNext) {
      bodyNext = false;
      continue;
    }
    const h = obj as { Command: string; Seq: number };
    if (h.Command === "handshake") {
      bodyNext = true;
      socket.write(encode({ Seq: h.Seq, Error: "" }));
    } else if (h.Command === "query") {
      bodyNext = true;
      const record = (r: object) => Buffer.concat([encode({ Seq: h.Seq, Error: "" }), encode(r)]);
      socket.write(
        Buffer.concat([
          encode({ Seq: h.Seq, Error: "" }),
          record({ Type: "ack", From: "", Payload: null }),
          record({ Type: "ack", From: "node-b", Payload: null }),
          record({ Type: "ack", From: "node-b", Payload: null }),
          record({ Type: "response", From: "node-b", Payload: new TextEncoder().encode("ok") }),
          record({ Type: "done", From: "", Payload: null }),
        ]),
      );
    }
  }
}

before(async () => {
  server = createServer((s) => void fakeSerf(s).catch(() => s.destroy()));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
});
after(() => server.close());

test("fake serf RPC server: a query's acks leave out a nameless ack and count each node once", async () => {
  const rpc = await SerfRpc.connect({ host: "127.0.0.1", port });
  try {
    const r = await rpc.query({ name: "reboot", nodes: ["node-b"], requestAck: true, timeoutMs: 500 });
    assert.deepEqual(r.acks, ["node-b"]);
    assert.deepEqual(
      r.responses.map((x) => [x.from, new TextDecoder().decode(x.payload)]),
      [["node-b", "ok"]],
    );
  } finally {
    rpc.close();
  }
});
