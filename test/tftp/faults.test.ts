// Failures inside the server's own callbacks and sources are contained: each ends at most its transfer, is
// reported as a fault, and the next request is served. On main each of these stopped the whole process.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { encodeRequest } from "../../src/protocols/tftp/packet.js";
import type { BlockSource } from "../../src/protocols/tftp/source.js";
import type { UdpFault } from "../../src/protocols/udp/safe-socket.js";
import { RawClient } from "../support/raw-tftp-client.js";
import { startTestTftp, tftpRoot } from "../support/tftp-fixture.js";

const isData = (p: { op: string }) => p.op === "data";
const isError = (p: { op: string }) => p.op === "error";

describe("TFTP faults stay inside one transfer", { timeout: 60_000 }, () => {
  const root = tftpRoot({ "ok.bin": 3000 });
  const faults: UdpFault[] = [];
  const broken: Record<string, BlockSource> = {
    "throws.bin": {
      size: 5000,
      read: () => {
        throw new Error("disk on fire");
      },
    },
    "rejects.bin": { size: 5000, read: () => Promise.reject(new Error("EIO")) },
    "bad-close.bin": {
      size: 10,
      read: (o, l) => Buffer.alloc(Math.max(0, Math.min(l, 10 - o))),
      close: () => {
        throw new Error("close failed");
      },
    },
  };
  let srv: Awaited<ReturnType<typeof startTestTftp>>;
  let throwOnTransfer = false;
  before(async () => {
    srv = await startTestTftp(root.dir, {
      timeoutMs: 200,
      maxRetries: 1,
      onFault: (f) => faults.push(f),
      onBadPacket: () => {
        throw new Error("a logging bug");
      },
    });
  });
  after(() => srv.server.close());

  async function fetchOk(c: RawClient): Promise<void> {
    c.send(encodeRequest("ok.bin", "octet"), srv.server.port);
    await c.next(isData);
  }

  test("a throwing onBadPacket (malformed datagram) is a fault; the server answers the next request", async () => {
    const c = await RawClient.open();
    c.send(Buffer.from([0, 9, 9, 9]), srv.server.port);
    await fetchOk(c);
    assert.ok(faults.some((f) => f.kind === "handler-threw" && /a logging bug/.test(f.message)));
    c.close();
  });

  test("sources that throw, reject or fail to close end their own transfer only", async () => {
    const srv2 = await startTestTftp(root.dir, {
      timeoutMs: 200,
      maxRetries: 1,
      onFault: (f) => faults.push(f),
      read: async (name) => {
        const s = broken[name.toString("latin1")];
        return s ? { ok: true, source: s } : { ok: false, code: 1, message: "file not found" };
      },
      onTransfer: (s) => {
        if (throwOnTransfer) throw new Error(`hook bug after ${s.file}`);
      },
    });
    try {
      const c = await RawClient.open();
      for (const name of ["throws.bin", "rejects.bin"]) {
        c.send(encodeRequest(name, "octet"), srv2.server.port);
        const e = await c.next(isError);
        assert.deepEqual(e.p, { op: "error", code: 0, message: "read error" }, name);
      }
      throwOnTransfer = true;
      c.send(encodeRequest("bad-close.bin", "octet"), srv2.server.port);
      await c.next(isData);
      // The transfer ends by timeout (no ACK); then close() and onTransfer both throw: two faults.
      while (srv2.server.active() > 0) await new Promise((r) => setTimeout(r, 50));
      assert.ok(faults.some((f) => /close failed/.test(f.message)));
      assert.ok(faults.some((f) => /hook bug after bad-close.bin/.test(f.message)));
      c.send(encodeRequest("throws.bin", "octet"), srv2.server.port);
      await c.next(isError);
      c.close();
    } finally {
      await srv2.server.close();
    }
  });
});
