// The DHCP server on loopback high ports: it answers what the handler returns where the handler says, drops
// and counts what is not a request, and contains a failing handler.
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { after, before, describe, test } from "node:test";
import { readFields } from "./fields.js";
import { decodeDhcp, type DhcpMessage } from "./packet.js";
import { replyDestination, startDhcpServer, type DhcpHandler, type DhcpServer } from "./server.js";
import { handBuilt, hex, uefiDiscover } from "./testing/hand-built.js";

function offerFor(m: DhcpMessage): DhcpMessage {
  return {
    ...m,
    op: 2,
    siaddr: "127.0.0.1",
    file: "snponly.efi",
    options: new Map([
      [53, hex("02")],
      [54, hex("7f000001")],
    ]),
  };
}

describe("DHCP server on loopback", () => {
  let server: DhcpServer;
  let client: Socket;
  let mode: "answer" | "throw" | "reject" | "broadcast-unflagged" | "too-big" | "silent" = "answer";
  const handler: DhcpHandler = async ({ message }, meta) => {
    if (mode === "throw") throw new Error("handler bug");
    if (mode === "reject") return Promise.reject(new Error("async handler bug"));
    if (mode === "silent") return undefined;
    if (mode === "broadcast-unflagged")
      return { reply: offerFor(message), to: { address: "255.255.255.255", port: 68 } };
    if (mode === "too-big")
      return { reply: { ...offerFor(message), options: new Map([[43, Buffer.alloc(1300)]]) }, to: meta.from };
    return { reply: offerFor(message), to: meta.from };
  };
  const replies: Buffer[] = [];
  before(async () => {
    server = await startDhcpServer({ address: "127.0.0.1", ports: [0, 0], handler });
    client = createSocket("udp4");
    client.on("message", (m) => replies.push(m));
    await new Promise<void>((res) => client.bind(0, "127.0.0.1", res));
  });
  after(async () => {
    client.close();
    await server.close();
  });

  async function ask(buf: Buffer, port = server.ports[0]!): Promise<Buffer | undefined> {
    replies.length = 0;
    client.send(buf, port, "127.0.0.1");
    for (let i = 0; i < 40 && replies.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    return replies[0];
  }

  test("a DISCOVER gets the handler's OFFER, on both ports, with the request's xid", async () => {
    for (const port of server.ports) {
      const reply = await ask(uefiDiscover(), port);
      assert.ok(reply, `no reply on port ${port}`);
      const m = decodeDhcp(reply);
      assert.equal(m.op, 2);
      assert.equal(m.xid, 0x3903f326);
      assert.equal(m.file, "snponly.efi");
      assert.equal(readFields(m).messageType, 2);
    }
    assert.equal(server.counters.replied, 2);
  });

  test("a BOOTREPLY, a bad cookie and a truncated option are dropped by kind, unanswered", async () => {
    assert.equal(await ask(handBuilt({ op: 2, options: hex("350102ff") })), undefined);
    assert.equal(await ask(handBuilt({ cookie: 0x01020304, options: hex("ff") })), undefined);
    assert.equal(await ask(handBuilt({ options: hex("3c20505845") })), undefined);
    assert.equal(await ask(Buffer.alloc(3000)), undefined);
    const d = server.counters.dropped;
    assert.deepEqual(
      [d.get("bootreply"), d.get("bad-magic"), d.get("malformed"), d.get("too-large")],
      [1, 1, 1, 1],
    );
  });

  test("a throwing or rejecting handler, a reply too big to encode and an unflagged broadcast cost one answer each", async () => {
    for (const m of ["throw", "reject", "too-big"] as const) {
      mode = m;
      assert.equal(await ask(uefiDiscover()), undefined);
    }
    // A client's option 57 of 65535 does not lift the cap past one Ethernet frame.
    assert.equal(await ask(handBuilt({ options: hex("350101 3902ffff ff") })), undefined);
    assert.equal(server.counters.faults.get("handler-threw"), 4);
    mode = "broadcast-unflagged";
    assert.equal(await ask(uefiDiscover()), undefined);
    assert.equal(server.counters.faults.get("refused-destination"), 1);
    mode = "silent";
    assert.equal(await ask(uefiDiscover()), undefined);
    assert.equal(server.counters.ignored, 1);
    mode = "answer";
    assert.ok(await ask(uefiDiscover()), "the server still answers");
  });
});

test("past maxPending requests waiting for a slow handler, more are dropped as busy, then served again", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const server = await startDhcpServer({
    address: "127.0.0.1",
    ports: [0],
    maxPending: 2,
    handler: async ({ message }, meta) => {
      await gate;
      return { reply: offerFor(message), to: meta.from };
    },
  });
  const client = createSocket("udp4");
  let replies = 0;
  client.on("message", () => replies++);
  await new Promise<void>((res) => client.bind(0, "127.0.0.1", res));
  try {
    for (let i = 0; i < 5; i++) client.send(uefiDiscover(), server.ports[0]!, "127.0.0.1");
    for (let i = 0; i < 100 && server.counters.received < 5; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(server.counters.dropped.get("busy"), 3);
    release();
    for (let i = 0; i < 100 && replies < 2; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(replies, 2);
    client.send(uefiDiscover(), server.ports[0]!, "127.0.0.1");
    for (let i = 0; i < 100 && replies < 3; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(replies, 3, "a slot freed is a slot served");
  } finally {
    client.close();
    await server.close();
  }
});

describe("replyDestination (RFC 2131 §4.1)", () => {
  const base = decodeDhcp(uefiDiscover());
  const meta = { from: { address: "0.0.0.0", port: 68 }, localPort: 67 };
  test("relayed: to the relay's port 67", () =>
    assert.deepEqual(replyDestination({ ...base, giaddr: "10.1.0.1" }, meta), {
      to: { address: "10.1.0.1", port: 67 },
    }));
  test("to port 4011: back to the source", () =>
    assert.deepEqual(
      replyDestination(
        { ...base, ciaddr: "10.77.0.50" },
        { from: { address: "10.77.0.50", port: 4011 }, localPort: 4011 },
      ),
      {
        to: { address: "10.77.0.50", port: 4011 },
      },
    ));
  test("a client with an address that did not ask for broadcast: unicast to ciaddr:68", () =>
    assert.deepEqual(replyDestination({ ...base, ciaddr: "10.77.0.50", flags: 0 }, meta), {
      to: { address: "10.77.0.50", port: 68 },
    }));
  test("no address yet: broadcast, flagged", () =>
    assert.deepEqual(replyDestination(base, meta), {
      to: { address: "255.255.255.255", port: 68 },
      broadcast: true,
    }));
});
