// A client that acknowledges keeps its slot, so one host (its real address: it must receive the OACK to
// learn the transfer's port) held every slot: 256 RRQs asking `timeout 255`, each OACK acknowledged once,
// and every other client got "server busy" for up to 25 minutes (255 s x 6 sends). 512 datagrams.
// When the server is full, the address holding the most slots now gives up its stalest transfer to a
// request from an address holding fewer; a host alone, or a NAT'd lab, may still use every slot.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { encodeAck, encodeRequest } from "../../src/protocols/tftp/packet.js";
import { RawClient } from "../support/raw-tftp-client.js";
import { startTestTftp, tftpRoot } from "../support/tftp-fixture.js";

const SLOTS = 8;

/** Opens `n` transfers from one client and acknowledges each OACK once, then goes silent. */
async function holdSlots(c: RawClient, n: number, port: number): Promise<void> {
  for (let i = 0; i < n; i++) c.send(encodeRequest("f.bin", "octet", { timeout: "255" }), port);
  for (let i = 0; i < n; i++) {
    const oack = await c.next((p) => p.op === "oack");
    c.sock.send(encodeAck(0), oack.from.port, "127.0.0.1");
  }
  await new Promise((r) => setTimeout(r, 100));
}

/** Fetches f.bin (4 blocks) from `address`; answers the first packet's kind and whether it completed. */
async function fetch(address: string, port: number): Promise<string> {
  const c = await RawClient.open(address);
  try {
    c.send(encodeRequest("f.bin", "octet"), port);
    const first = await c.next();
    if (first.p.op !== "data") return JSON.stringify(first.p);
    for (let blk = 1; blk <= 4; blk++) {
      c.send(encodeAck(blk), first.from.port);
      if (blk < 4) await c.next((p) => p.op === "data" && p.block === blk + 1);
    }
    // A send goes out on a later tick: closing at once would lose the last ACK.
    await new Promise((r) => setTimeout(r, 50));
    return "complete";
  } finally {
    c.close();
  }
}

describe("TFTP slots are shared fairly between addresses", { timeout: 30_000 }, () => {
  const root = tftpRoot({ "f.bin": 512 * 3 + 1 });
  let srv: Awaited<ReturnType<typeof startTestTftp>>;
  before(async () => {
    srv = await startTestTftp(root.dir, { timeoutMs: 300, maxRetries: 2, maxTransfers: SLOTS });
  });
  after(() => srv.server.close());

  test("one host that acknowledged every slot cannot keep another host out", async () => {
    const attacker = await RawClient.open("127.0.0.1");
    await holdSlots(attacker, SLOTS, srv.server.port);
    assert.equal(srv.server.active(), SLOTS, "the attacker holds every slot");
    assert.equal(await fetch("127.0.0.2", srv.server.port), "complete");
    await new Promise((r) => setTimeout(r, 100));
    // The attacker gave up one slot, no more, and keeps the rest.
    assert.equal(srv.server.active(), SLOTS - 1);
    attacker.close();
  });

  test("a host holding every slot gets no more of them from itself", async () => {
    // 7 attacker slots and a free one: it fits; once the address holds all 8, it goes unanswered.
    assert.equal(await fetch("127.0.0.1", srv.server.port), "complete");
    const attacker = await RawClient.open("127.0.0.1");
    await holdSlots(attacker, 1, srv.server.port);
    const late = await RawClient.open("127.0.0.1");
    late.send(encodeRequest("f.bin", "octet"), srv.server.port);
    assert.deepEqual(await late.quiet(300), []);
    assert.equal(srv.server.active(), SLOTS);
    late.close();
    attacker.close();
  });

  test("requests for a missing file (any spoofed source) end no one's transfer", async () => {
    assert.equal(srv.server.active(), SLOTS, "127.0.0.1 holds every slot");
    const spoofed = await RawClient.open("127.0.0.3");
    for (let i = 0; i < 20; i++) spoofed.send(encodeRequest("missing.bin", "octet"), srv.server.port);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(srv.server.active(), SLOTS);
    const aborted = srv.transfers.filter((t) => /any other/.test(t.error ?? "")).length;
    // Only the first test's eviction: none for the missing file.
    assert.equal(aborted, 1);
    assert.equal(await fetch("127.0.0.2", srv.server.port), "complete");
    spoofed.close();
  });

  // Requests arriving together on a full server took each other's slots (the newest unacknowledged one
  // always lost its slot to the next): of 50 machines booting at once, 44 got no answer at all.
  test("machines booting together on a full server do not take each other's slots", async () => {
    await new Promise((r) => setTimeout(r, 100));
    const results = await Promise.all(Array.from({ length: 4 }, () => fetch("127.0.0.2", srv.server.port)));
    assert.deepEqual(results, ["complete", "complete", "complete", "complete"]);
  });
});
