// Enforcer's TFTP server driven packet by packet: TIDs, errors, duplicates, probes, limits, fuzz.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { encodeAck, encodeError, encodeRequest } from "../../src/protocols/tftp/packet.js";
import { RawClient } from "../support/raw-tftp-client.js";
import { startTestTftp, tftpRoot } from "../support/tftp-fixture.js";

const isData = (block: number) => (p: { op: string; block?: number }) => p.op === "data" && p.block === block;
const isError = (code: number) => (p: { op: string; code?: number }) => p.op === "error" && p.code === code;

describe("TFTP protocol edges", { timeout: 120_000 }, () => {
  const root = tftpRoot({ "f.bin": 512 * 5 + 7 });
  let srv: Awaited<ReturnType<typeof startTestTftp>>;
  before(async () => {
    srv = await startTestTftp(root.dir, { timeoutMs: 300, maxRetries: 2, maxTransfers: 4 });
  });
  after(() => srv.server.close());

  test("a packet from a wrong TID never reaches the transfer and does not disturb it", async () => {
    const a = await RawClient.open();
    const b = await RawClient.open();
    a.send(encodeRequest("f.bin", "octet"), srv.server.port);
    const d1 = await a.next(isData(1));
    assert.notEqual(d1.from.port, srv.server.port, "data comes from a new TID");
    // The transfer socket is connected to its client (as tftpd-hpa's): the kernel drops the stranger's
    // ACK (answering ICMP port unreachable), so it cannot move the transfer or draw a block.
    b.send(encodeAck(1), d1.from.port);
    const [stranger, client] = await Promise.all([b.quiet(200), a.quiet(200)]); // < the 300 ms resend
    assert.deepEqual(stranger, [], "the stranger got an answer");
    assert.deepEqual(client, [], "the stranger's ACK moved the transfer");
    for (let blk = 1; blk <= 6; blk++) {
      a.send(encodeAck(blk), d1.from.port);
      if (blk < 6) await a.next(isData(blk + 1));
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(srv.transfers.at(-1)?.outcome, "complete");
    a.close();
    b.close();
  });

  test("a duplicate ACK is not answered with a second copy of the next block", async () => {
    const a = await RawClient.open();
    a.send(encodeRequest("f.bin", "octet"), srv.server.port);
    const d1 = await a.next(isData(1));
    a.send(encodeAck(1), d1.from.port);
    await a.next(isData(2));
    a.send(encodeAck(1), d1.from.port); // late duplicate of ACK 1
    const during = await a.quiet(200); // less than the 300 ms retransmit timeout
    assert.deepEqual(during, [], "the duplicate ACK caused a resend");
    a.close();
  });

  test("a write request gets access violation; garbage gets illegal operation", async () => {
    const a = await RawClient.open();
    const wrq = encodeRequest("up.bin", "octet");
    wrq[1] = 2;
    a.send(wrq, srv.server.port);
    assert.match(JSON.stringify((await a.next(isError(2))).p), /read-only/);
    a.send(Buffer.from([0, 1, 0x41, 0x42, 0x43]), srv.server.port);
    assert.match(JSON.stringify((await a.next(isError(4))).p), /lacks a NUL-terminated/);
    a.send(encodeRequest("f.bin", "mail-me"), srv.server.port);
    assert.match(JSON.stringify((await a.next(isError(4))).p), /unknown transfer mode/);
    a.close();
  });

  test("the BIOS size probe: tsize only, OACK, ERROR from the client, a quiet end", async () => {
    const a = await RawClient.open();
    a.send(encodeRequest("f.bin", "octet", { tsize: "0" }), srv.server.port);
    const oack = await a.next((p) => p.op === "oack");
    assert.deepEqual(oack.p.op === "oack" && [...oack.p.options], [["tsize", String(512 * 5 + 7)]]);
    a.send(encodeError(0, "TFTP Aborted"), oack.from.port);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(srv.transfers.at(-1)?.outcome, "aborted-after-oack");
    a.close();
  });

  test("past the transfer cap a request goes unanswered; stalled transfers time out and free their slots", async () => {
    // Earlier tests leave transfers that end by timeout; start from none.
    while (srv.server.active() > 0) await new Promise((r) => setTimeout(r, 50));
    const stalled = await Promise.all(Array.from({ length: 4 }, () => RawClient.open()));
    for (const c of stalled) c.send(encodeRequest("f.bin", "octet"), srv.server.port);
    // Each acknowledges once, then stalls: a client that never acknowledged would give its slot up
    // to the next request (test/tftp/hold.test.ts).
    const firsts = await Promise.all(stalled.map((c) => c.next(isData(1))));
    stalled.forEach((c, i) => c.send(encodeAck(1), firsts[i]!.from.port));
    await Promise.all(stalled.map((c) => c.next(isData(2))));
    const late = await RawClient.open();
    late.send(encodeRequest("f.bin", "octet"), srv.server.port);
    // No ERROR (firmware would give up): nothing, and the client's own resend comes back later.
    assert.deepEqual(await late.quiet(200), []);
    // 300 ms timeout x (2 retries + 1): the stalled transfers give up and are gone.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(srv.server.active(), 0);
    assert.ok(srv.transfers.filter((t) => t.outcome === "timeout").length >= 4);
    late.send(encodeRequest("f.bin", "octet"), srv.server.port);
    await late.next(isData(1));
    [...stalled, late].forEach((c) => c.close());
  });

  test("fuzz: thousands of random and mutated datagrams never crash the server or leak a transfer", async () => {
    const c = await RawClient.open();
    const valid = [
      encodeRequest("f.bin", "octet", { blksize: "1468", tsize: "0", windowsize: "4" }),
      encodeAck(1),
      encodeError(0, "x"),
    ];
    for (let i = 0; i < 3000; i++) {
      let buf: Buffer;
      if (i % 3 === 0) buf = randomBytes(Math.floor(Math.random() * 700));
      else {
        buf = Buffer.from(valid[i % valid.length]!);
        for (let k = 0; k < 3; k++)
          buf[Math.floor(Math.random() * buf.length)] = Math.floor(Math.random() * 256);
      }
      c.send(buf, srv.server.port);
      if (i % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(srv.server.active(), 0, "a transfer leaked");
    const a = await RawClient.open();
    a.send(encodeRequest("f.bin", "octet"), srv.server.port);
    await a.next(isData(1));
    [a, c].forEach((x) => x.close());
  });
});
