// A full server answered "server busy" with an ERROR, which firmware takes as final: a 1,000-machine storm
// against the default cap of 256 failed 744 machines. A request on a full server now goes unanswered, and
// the client's own RRQ resend (EDK2: every few seconds) finds a slot once one is free.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { encodeAck, encodeRequest } from "../../src/protocols/tftp/packet.js";
import { RawClient } from "../support/raw-tftp-client.js";
import { sha256, startTestTftp, tftpRoot } from "../support/tftp-fixture.js";

const BLKSIZE = 1468;
const SLOTS = 2;

/**
 * Fetches `name` like firmware does: blksize and tsize, the RRQ sent again from the same port every
 * `resendMs` until something answers; every block acknowledged after `paceMs` (the transfers overlap).
 * Answers the file's bytes, or throws on any ERROR.
 */
async function firmwareFetch(address: string, port: number, name: string, resendMs = 400): Promise<Buffer> {
  const c = await RawClient.open(address);
  const rrq = encodeRequest(name, "octet", { blksize: String(BLKSIZE), tsize: "0" });
  try {
    let first: Awaited<ReturnType<RawClient["next"]>> | undefined;
    for (let i = 0; i < 40 && !first; i++) {
      c.send(rrq, port);
      first = await c.next(() => true, resendMs).catch(() => undefined);
    }
    if (!first) throw new Error(`${address}: no answer to 40 RRQs`);
    if (first.p.op !== "oack") throw new Error(`${address}: got ${JSON.stringify(first.p)}`);
    const size = Number(first.p.options.get("tsize"));
    const parts: Buffer[] = [];
    c.send(encodeAck(0), first.from.port);
    for (let blk = 1; ; blk++) {
      const d = await c.next((p) => p.op !== "data" || p.block === blk);
      if (d.p.op !== "data") throw new Error(`${address}: got ${JSON.stringify(d.p)}`);
      parts.push(d.p.data);
      await new Promise((r) => setTimeout(r, 2));
      c.send(encodeAck(blk), d.from.port);
      if (d.p.data.length < BLKSIZE) break;
    }
    const bytes = Buffer.concat(parts);
    assert.equal(bytes.length, size, `${address}: tsize against bytes received`);
    // A send goes out on a later tick: closing at once would lose the last ACK.
    await new Promise((r) => setTimeout(r, 50));
    return bytes;
  } finally {
    c.close();
  }
}

describe("a full TFTP server", { timeout: 60_000 }, () => {
  const root = tftpRoot({ "loader.efi": BLKSIZE * 40 + 100 });
  const dropped: string[] = [];
  let srv: Awaited<ReturnType<typeof startTestTftp>>;
  before(async () => {
    srv = await startTestTftp(root.dir, {
      timeoutMs: 300,
      maxRetries: 2,
      maxTransfers: SLOTS,
      onBadPacket: (c, reason) => dropped.push(`${c.address} ${reason}`),
    });
  });
  after(() => srv.server.close());

  test(`with ${SLOTS} slots, 6 machines booting at once each get their file by asking again`, async () => {
    const addresses = Array.from({ length: 6 }, (_, i) => `127.0.0.${11 + i}`);
    const got = await Promise.all(addresses.map((a) => firmwareFetch(a, srv.server.port, "loader.efi")));
    for (const bytes of got) assert.equal(sha256(bytes), sha256(root.data["loader.efi"]!));
    assert.ok(
      dropped.some((d) => d.includes("too many transfers")),
      "some requests found the server full",
    );
    assert.deepEqual(
      srv.transfers.filter((t) => t.outcome !== "complete").map((t) => `${t.outcome}: ${t.error}`),
      [],
      "no transfer was evicted, refused or timed out",
    );
  });

  test("a flood of requests from many addresses is dropped unanswered and holds nothing", async () => {
    while (srv.server.active() > 0) await new Promise((r) => setTimeout(r, 50));
    // Two machines hold the slots and stall after their first ACK (the transfers wait out their timeouts).
    const holders = await Promise.all(["127.0.0.21", "127.0.0.22"].map((a) => RawClient.open(a)));
    for (const h of holders)
      h.send(encodeRequest("loader.efi", "octet", { blksize: "1468" }), srv.server.port);
    for (const h of holders) {
      const oack = await h.next((p) => p.op === "oack");
      h.send(encodeAck(0), oack.from.port);
    }
    const flooders = await Promise.all(
      Array.from({ length: 50 }, (_, i) => RawClient.open(`127.0.1.${i + 1}`)),
    );
    const before = dropped.length;
    for (let round = 0; round < 40; round++) {
      for (const f of flooders) f.send(encodeRequest("loader.efi", "octet"), srv.server.port);
      assert.ok(srv.server.active() <= SLOTS, `${srv.server.active()} transfers running`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(srv.server.active(), SLOTS, "the holders keep their slots, the flood got none");
    assert.deepEqual(
      flooders.flatMap((f) => f.inbox.map((m) => m.p.op)),
      [],
      "nothing was sent to the flooding addresses",
    );
    // Loopback's socket queue may lose a few of 2,000 datagrams sent this fast: most reach the server.
    const counted = dropped.length - before;
    assert.ok(counted > 1500 && counted <= 2000, `${counted} of 2000 requests dropped and counted`);
    [...holders, ...flooders].forEach((c) => c.close());
  });
});
