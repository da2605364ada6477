// The storm's TFTP client: what firmware does for its loader. One RRQ with blksize 1468 and tsize (no
// windowsize), then lock-step: one ACK per block, from the machine's own address and a port of its own.
import { createSocket } from "node:dgram";
import { encodeAck, encodeRequest } from "../src/protocols/tftp/packet.js";

/** Block size firmware asks for: 1500-byte MTU minus IP, UDP and TFTP headers. */
const BLKSIZE = 1468;
/**
 * How often a transfer checks for progress, and how many checks without before it fails: the last datagram is
 * sent again after 2-4 s, 6 times, close to EDK2's PXE TFTP (4 s, 6 retries).
 */
const TIMEOUT_MS = 2_000;
const RETRIES = 6;

/** What one transfer took. */
export interface TftpResult {
  bytes: number;
  retries: number;
}

/** Reads `file` from `server:69`, bound to `local`; rejects on a TFTP error or RETRIES timeouts in a row. */
export function tftpGet(server: string, file: string, local: string): Promise<TftpResult> {
  return new Promise((resolve, reject) => {
    const sock = createSocket("udp4");
    let bytes = 0;
    let retries = 0;
    let tries = 0;
    let expect = 1; // the next DATA block (16-bit on the wire: it wraps after 65535)
    let peerPort = 0;
    let last = encodeRequest(file, "octet", { tsize: "0", blksize: String(BLKSIZE) });
    let lastPort = 69;
    let progress = 0;
    let seen = -1;
    // One interval per transfer, not a timer per block: a tick without progress since the last one sends the
    // last datagram again (a timeout of one to two ticks), which keeps the client's own cost per block low.
    const timer = setInterval(() => {
      if (progress !== seen) {
        seen = progress;
        tries = 0;
        return;
      }
      if (++tries > RETRIES) return done(new Error(`TFTP timed out at block ${expect} (${bytes} bytes)`));
      retries++;
      sock.send(last, lastPort, server);
    }, TIMEOUT_MS);
    let finished = false;
    const done = (err?: Error) => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      sock.close();
      if (err) reject(err);
      else resolve({ bytes, retries });
    };
    const send = () => {
      progress++;
      sock.send(last, lastPort, server);
    };
    sock.on("error", (e) => done(e));
    sock.on("message", (msg, rinfo) => {
      if (rinfo.address !== server || msg.length < 4) return;
      if (peerPort === 0) peerPort = rinfo.port;
      if (rinfo.port !== peerPort) return; // another transfer's port: not ours (RFC 1350 §4)
      const op = msg.readUInt16BE(0);
      if (op === 5)
        return done(
          new Error(`TFTP error ${msg.readUInt16BE(2)}: ${msg.toString("latin1", 4, msg.length - 1)}`),
        );
      lastPort = peerPort;
      if (op === 6) {
        // OACK: acknowledged with block 0, then the data starts.
        last = encodeAck(0);
        return send();
      }
      if (op !== 3 || msg.readUInt16BE(2) !== (expect & 0xffff)) return;
      bytes += msg.length - 4;
      last = encodeAck(expect++);
      if (msg.length - 4 < BLKSIZE) {
        // Closed only once the last ACK is sent: a close right after `send` drops it, and the server then
        // resends its last block until it gives up (seen: 804 of 1,000 transfers timing out at their end).
        clearInterval(timer);
        sock.send(last, lastPort, server, () => done());
        return;
      }
      send();
    });
    sock.bind(0, local, () => send());
  });
}
