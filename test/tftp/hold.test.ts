// Requests that never acknowledge held every transfer slot: 256 RRQs asking `timeout 255` (one datagram each,
// from any source address, spoofed or not) made the real server answer "server busy" to every client for
// about 25 minutes (255 s x 6 sends). A transfer now waits the negotiated timeout only once its client has
// acknowledged from its own address, and a new request takes the slot of the oldest unacknowledged one.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { encodeAck, encodeRequest } from "../../src/protocols/tftp/packet.js";
import { RawClient } from "../support/raw-tftp-client.js";
import { startTestTftp, tftpRoot } from "../support/tftp-fixture.js";

describe("TFTP clients that never acknowledge", { timeout: 60_000 }, () => {
  const root = tftpRoot({ "f.bin": 512 * 3 + 1 });
  let srv: Awaited<ReturnType<typeof startTestTftp>>;
  before(async () => {
    srv = await startTestTftp(root.dir, { timeoutMs: 300, maxRetries: 2, maxTransfers: 8 });
  });
  after(() => srv.server.close());

  test("cannot hold every slot: a real client still gets its file", async () => {
    const attacker = await RawClient.open();
    for (let i = 0; i < 8; i++)
      attacker.send(encodeRequest("f.bin", "octet", { timeout: "255" }), srv.server.port);
    // Past the server's first timeout (300 ms) unacknowledged, they are the first to lose their slots.
    await new Promise((r) => setTimeout(r, 400));
    const a = await RawClient.open();
    a.send(encodeRequest("f.bin", "octet"), srv.server.port);
    const d1 = await a.next();
    assert.equal(d1.p.op, "data", `the client got ${JSON.stringify(d1.p)}`);
    for (let blk = 1; blk <= 4; blk++) {
      a.send(encodeAck(blk), d1.from.port);
      if (blk < 4) await a.next((p) => p.op === "data" && p.block === blk + 1);
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(
      srv.transfers.some((t) => t.outcome === "complete"),
      "the real client's transfer completed",
    );
    attacker.close();
    a.close();
  });

  test("a negotiated timeout is echoed, but waited for only once the client has acknowledged", async () => {
    // The first test's unacknowledged requests end first (1 s at most, with the fix).
    await new Promise((r) => setTimeout(r, 1500));
    const before = srv.transfers.length;
    const attacker = await RawClient.open();
    attacker.send(encodeRequest("f.bin", "octet", { timeout: "255" }), srv.server.port);
    const oack = await attacker.next();
    assert.equal(oack.p.op, "oack");
    assert.equal((oack.p as { options: Map<string, string> }).options.get("timeout"), "255");
    // Three sends 300 ms apart, not 255 s apart.
    await new Promise((r) => setTimeout(r, 1500));
    const ended = srv.transfers.slice(before);
    assert.deepEqual(
      ended.map((t) => t.outcome),
      ["timeout"],
    );
    attacker.close();
  });
});
