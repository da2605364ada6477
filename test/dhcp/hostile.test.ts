// Hostile DHCP against a running server on loopback: 5,000 random, mutated, giant, overflowing and
// overloaded datagrams, BOOTREPLYs and datagrams from source port 0 (raw socket, root). Afterwards the server
// still answers a valid request, and its counters say what was dropped and why.
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { decodeDhcp } from "../../src/protocols/dhcp/packet.js";
import { startDhcpServer, type DhcpServer } from "../../src/protocols/dhcp/server.js";
import { handBuilt, hex, opt, uefiDiscover } from "../../src/protocols/dhcp/testing/hand-built.js";
import { sendFromPortZero } from "../support/raw-udp.js";
import { until } from "../support/until.js";

const SEED = 20261127;
const COUNT = 5000;

/** One hostile datagram of every kind an attacker on the boot network can send. */
const hostile = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
  // Giant: past the 1472-byte cap, up to the largest UDP datagram loopback carries.
  fc.integer({ min: 1473, max: 65000 }).map((n) => Buffer.alloc(n, 0x35)),
  // A valid request with bytes flipped in its options.
  fc
    .tuple(fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }), fc.nat())
    .map(([flips, xid]) => {
      const b = uefiDiscover([], { xid });
      for (const [at, v] of flips) b[240 + (at % (b.length - 240))] = v;
      return b;
    }),
  // Option overflow: a length past the end of the area, or of an overloaded field.
  fc.nat(255).map((n) => handBuilt({ options: Buffer.concat([hex("350101"), Buffer.from([60, n])]) })),
  fc.constantFrom(
    handBuilt({ file: hex("43ff01"), options: hex("350101 340101 ff") }),
    handBuilt({ sname: hex("0cff"), options: hex("350101 340103 ff") }),
    handBuilt({ options: hex("350101 340109 ff") }),
    // A BOOTREPLY sent to the server, and BOOTP without the DHCP cookie.
    handBuilt({ op: 2, options: hex("350102 ff") }),
    handBuilt({ cookie: 0, options: hex("ff") }),
  ),
);

describe("hostile DHCP datagrams against a running server", { timeout: 120_000 }, () => {
  let server: DhcpServer;
  let client: Socket;
  const replies: Buffer[] = [];
  before(async () => {
    server = await startDhcpServer({
      address: "127.0.0.1",
      ports: [0],
      // Answers every request it is handed, and throws for some: a buggy policy must not matter either.
      handler: ({ message }, meta) => {
        if (message.xid % 5 === 0) throw new Error("policy bug");
        return { reply: { ...message, op: 2, options: new Map([[53, hex("02")]]) }, to: meta.from };
      },
    });
    client = createSocket("udp4");
    client.on("message", (m) => replies.push(m));
    await new Promise<void>((res) => client.bind(0, "127.0.0.1", res));
  });
  after(async () => {
    client.close();
    await server.close();
  });

  test(`${COUNT} random, mutated, giant and overflowing datagrams: no crash, drops counted by kind`, async () => {
    const port = server.ports[0]!;
    const samples = fc.sample(hostile, { numRuns: COUNT, seed: SEED });
    // In batches the socket's receive buffer (about 200 KB here) holds, so that every datagram is counted.
    let sent = 0;
    let bytes = 0;
    for (const b of samples) {
      client.send(b, port, "127.0.0.1");
      sent++;
      bytes += b.length;
      if (bytes < 100_000 && sent % 50 !== 0 && sent < samples.length) continue;
      bytes = 0;
      const want = sent;
      await until(
        "the server to take the batch",
        async () => (server.counters.received >= want ? true : undefined),
        10_000,
        2,
      );
    }
    const c = server.counters;
    assert.equal(c.received, COUNT);
    for (const kind of ["too-short", "too-large", "bad-magic", "malformed", "bootreply"] as const)
      assert.ok((c.dropped.get(kind) ?? 0) > 0, `no ${kind} drop counted: ${JSON.stringify([...c.dropped])}`);
    // Every datagram is accounted for: dropped, answered, ignored or a contained handler failure.
    const threw = c.faults.get("handler-threw") ?? 0;
    assert.equal(c.droppedTotal() + c.replied + c.ignored + threw, COUNT);
    assert.ok(threw > 0 && c.replied > 0, "some mutated requests still decode and reach the handler");
    console.log(
      `dropped ${JSON.stringify(Object.fromEntries(c.dropped))}, replied ${c.replied}, handler threw ${threw}`,
    );
  });

  test("datagrams from source port 0 are dropped and counted (raw socket: needs root)", async () => {
    const before = server.counters.dropped.get("source-port") ?? 0;
    const sent = await sendFromPortZero(server.ports[0]!, [uefiDiscover(), uefiDiscover()]);
    assert.equal(sent, 2);
    await until(
      "the port-0 drops",
      async () => ((server.counters.dropped.get("source-port") ?? 0) >= before + 2 ? true : undefined),
      5000,
      10,
    );
  });

  test("after all that, a valid request still gets its reply", async () => {
    replies.length = 0;
    client.send(
      uefiDiscover([opt(12, "after-the-storm")], { xid: 0x1234567 }),
      server.ports[0]!,
      "127.0.0.1",
    );
    const reply = await until(
      "the reply",
      async () => replies.find((r) => decodeDhcp(r).xid === 0x1234567),
      5000,
      10,
    );
    assert.equal(decodeDhcp(reply).options.get(53)?.toString("hex"), "02");
  });
});
