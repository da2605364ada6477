// Hostile datagrams against the real `enforcer serve`: from source port 0 (raw socket, root) and thousands
// of fast-check generated ones to the request port and to live transfer ports. The process must keep
// serving TFTP and HTTP: an error in one transfer ends that transfer, never the process.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import fc from "fast-check";
import { encodeAck, encodeRequest } from "../../src/protocols/tftp/packet.js";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { RawClient } from "../support/raw-tftp-client.js";
import { sendFromPortZero } from "../support/raw-udp.js";
import { datagram } from "../support/tftp-datagrams.js";
import { sha256, tftpRoot } from "../support/tftp-fixture.js";

const run = promisify(execFile);
const SEED = 20261126;

describe("hostile datagrams against enforcer serve", { timeout: 300_000 }, () => {
  const root = tftpRoot({
    "big.bin": 256 * 1024,
    "text.txt": Buffer.from("one\ntwo\r\nthree\rfour\n".repeat(500)),
  });
  const out = mkdtempSync(join(tmpdir(), "enforcer-hostile-"));
  let enf: EnforcerProcess & { tftpPort?: number };
  let port: number;
  before(async () => {
    enf = await startEnforcer(["--tftp-root", root.dir], { tftp: true });
    port = enf.tftpPort!;
  });
  after(() => enf.stop());

  /** The process is alive, a real client gets the right bytes over TFTP, and HTTP answers. */
  async function assertServing(label: string): Promise<void> {
    const file = join(out, `${label}.bin`);
    await run("curl", [
      "-sS",
      "--max-time",
      "20",
      "--tftp-blksize",
      "1468",
      `tftp://127.0.0.1:${port}/big.bin`,
      "-o",
      file,
    ]);
    assert.equal(sha256(readFileSync(file)), sha256(root.data["big.bin"]!), `${label}: TFTP bytes`);
    const boot = await fetch(`${enf.base}/boot.ipxe`);
    assert.equal(boot.status, 200, `${label}: HTTP /boot.ipxe`);
    assert.match(await boot.text(), /^#!ipxe/);
    assert.equal(enf.child.exitCode, null, `${label}: the process exited:\n${enf.logs()}`);
  }

  /** Datagrams the server dropped unread because no reply can reach their source, from /metrics. */
  async function dropped(): Promise<number> {
    const res = await fetch(`${enf.base}/metrics`, { headers: { authorization: `Bearer ${enf.token}` } });
    const m = /^enforcer_udp_faults_total\{server="tftp",kind="dropped-source"\} (\d+)/m.exec(
      await res.text(),
    );
    return Number(m?.[1] ?? 0);
  }

  test("a valid RRQ from source port 0 is dropped and counted; the process keeps serving", async () => {
    assert.equal(await sendFromPortZero(port, [encodeRequest("big.bin", "octet")]), 1);
    await assertServing("port0-rrq");
    // Garbage too: every reply path (ERROR 4, ERROR 2 for a WRQ, refusals) would have thrown the same way.
    const wrq = encodeRequest("up.bin", "octet");
    wrq[1] = 2;
    await sendFromPortZero(port, [wrq, Buffer.from([0, 9, 1, 2]), encodeRequest("nope", "octet")]);
    await assertServing("port0-mix");
    assert.ok((await dropped()) >= 4, "datagrams from port 0 are counted as dropped");
  });

  test("fuzz: thousands of generated datagrams to the request port and live transfer ports, some from port 0", async () => {
    const stranger = await RawClient.open();
    const rounds = 12;
    let sent = 0;
    let fromZero = 0;
    for (let r = 0; r < rounds; r++) {
      const batch = fc.sample(datagram, { numRuns: 250, seed: SEED + r });
      // Live transfers, so that datagrams also reach transfer ports: from their own peer (into the
      // transfer's state machine) and from a stranger (the unknown-TID path).
      const peers = await Promise.all([0, 1, 2].map(() => RawClient.open()));
      const tids: number[] = [];
      for (const [i, p] of peers.entries()) {
        p.send(
          encodeRequest(i === 0 ? "text.txt" : "big.bin", i === 0 ? "netascii" : "octet", {
            windowsize: "4",
          }),
          port,
        );
        const oack = await p.next((x) => x.op === "oack");
        p.send(encodeAck(0), oack.from.port);
        await p.next((x) => x.op === "data");
        tids.push(oack.from.port);
      }
      for (const [i, d] of batch.entries()) {
        const k = i % 4;
        if (k === 3) stranger.send(d, port);
        else if (k === 2) stranger.send(d, tids[i % tids.length]!);
        else peers[i % peers.length]!.send(d, tids[i % tids.length]!);
        sent++;
        if (i % 50 === 0) await new Promise((res) => setImmediate(res));
      }
      // The same kind of datagrams from source port 0, to the request port and to a transfer port.
      const zero = batch.slice(0, 40);
      fromZero += await sendFromPortZero(port, zero.slice(0, 20));
      fromZero += await sendFromPortZero(tids[0]!, zero.slice(20));
      for (const p of peers) {
        p.send(encodeAck(1), tids[0]!);
        p.close();
      }
      assert.equal(enf.child.exitCode, null, `round ${r}: the process exited:\n${enf.logs()}`);
    }
    stranger.close();
    assert.ok(sent >= 3000 && fromZero >= 480, `${sent} datagrams, ${fromZero} from port 0`);
    await assertServing("after-fuzz");
    // atftp with windowsize too: transfers that the fuzz broke did not leave the server in a bad state.
    await run("atftp", [
      ...["--option", "blksize 1468", "--option", "windowsize 8", "--option", "tsize 0"],
      ...["-g", "-r", "big.bin", "-l", join(out, "atftp.bin"), "127.0.0.1", String(port)],
    ]);
    assert.equal(sha256(readFileSync(join(out, "atftp.bin"))), sha256(root.data["big.bin"]!));
    assert.ok((await dropped()) >= fromZero / 2, "port-0 datagrams counted");
  });
});
