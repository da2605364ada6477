// The send loop's guarantees, packet by packet: a gap in a window and a lost ACK are each repaired once.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { encodeAck, encodeRequest, type Packet } from "../../src/protocols/tftp/packet.js";
import { RawClient } from "../support/raw-tftp-client.js";
import { startTestTftp, tftpRoot } from "../support/tftp-fixture.js";

const isData = (block: number) => (p: Packet) => p.op === "data" && p.block === block;
const data = (p: Packet) => (p.op === "data" ? p.data : Buffer.alloc(0));

describe("TFTP send loop", { timeout: 60_000 }, () => {
  // 11 blocks of 512: the last one short.
  const root = tftpRoot({ "f.bin": 512 * 10 + 3 });
  let srv: Awaited<ReturnType<typeof startTestTftp>>;
  before(async () => {
    srv = await startTestTftp(root.dir, { timeoutMs: 300, maxRetries: 3 });
  });
  after(() => srv.server.close());

  test("windowsize 4 with a lost block: the server resumes after the last block in order", async () => {
    const c = await RawClient.open();
    c.send(encodeRequest("f.bin", "octet", { windowsize: "4" }), srv.server.port);
    const oack = await c.next((p) => p.op === "oack");
    assert.deepEqual(oack.p, { op: "oack", options: new Map([["windowsize", "4"]]) });
    const tid = oack.from.port;
    const got: Buffer[] = [];
    c.send(encodeAck(0), tid);
    for (const b of [1, 2, 3, 4]) got[b] = data((await c.next(isData(b))).p);
    // Block 3 "was lost": the client acknowledges 2, the last block it has in order (RFC 7440).
    c.send(encodeAck(2), tid);
    for (const b of [3, 4, 5, 6]) got[b] = data((await c.next(isData(b))).p);
    c.send(encodeAck(6), tid);
    for (const b of [7, 8, 9, 10]) got[b] = data((await c.next(isData(b))).p);
    c.send(encodeAck(10), tid);
    got[11] = data((await c.next(isData(11))).p);
    c.send(encodeAck(11), tid);
    assert.deepEqual(await c.quiet(100), [], "nothing after the last ACK");
    assert.ok(Buffer.concat(got.slice(1)).equals(root.data["f.bin"]!), "the file arrives whole");
    const t = srv.transfers.at(-1)!;
    assert.deepEqual([t.outcome, t.resent, t.lastBlock], ["complete", 2, 11], "blocks 3 and 4 resent once");
    c.close();
  });

  test("a dropped ACK: the block is sent again after the timeout, once per timeout", async () => {
    const c = await RawClient.open();
    c.send(encodeRequest("f.bin", "octet"), srv.server.port);
    const first = await c.next(isData(1));
    const sentAt = performance.now();
    // The client's ACK 1 "is lost": the server hears nothing and resends DATA 1 after its 300 ms.
    const again = await c.next(isData(1), 1000);
    const waited = performance.now() - sentAt;
    assert.ok(waited >= 250 && waited < 900, `resent after ${Math.round(waited)} ms`);
    assert.ok(data(again.p).equals(data(first.p)));
    for (let b = 1; b <= 11; b++) {
      c.send(encodeAck(b), first.from.port);
      if (b < 11) await c.next(isData(b + 1));
    }
    await c.quiet(50);
    const t = srv.transfers.at(-1)!;
    assert.deepEqual([t.outcome, t.resent], ["complete", 1]);
    c.close();
  });

  test("a client that stops acknowledging: resent maxRetries times, then ERROR 0 and the slot is free", async () => {
    const c = await RawClient.open();
    c.send(encodeRequest("f.bin", "octet"), srv.server.port);
    await c.next(isData(1));
    for (let i = 0; i < 3; i++) await c.next(isData(1), 1000);
    const end = await c.next((p) => p.op === "error", 1000);
    assert.match(JSON.stringify(end.p), /timed out after 3 retries/);
    await c.quiet(50);
    assert.equal(srv.server.active(), 0);
    assert.equal(srv.transfers.at(-1)?.outcome, "timeout");
    c.close();
  });
});
