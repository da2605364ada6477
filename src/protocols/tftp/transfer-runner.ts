import type { Socket } from "node:dgram";
import type { Negotiated } from "./options.js";
import { decodePacket, encodeDataHeader, encodeError, encodeOack, OP, TFTP_ERROR } from "./packet.js";
import type { BlockSource } from "./source.js";
import { checkDestination, onDatagram, sendConnected, type UdpFaultSink } from "../udp/safe-socket.js";
import {
  newTransfer,
  stepTransfer,
  type TransferEffect,
  type TransferEvent,
  type TransferOutcome,
} from "./transfer.js";

/** What one transfer did: logged and counted once it ends. */
export interface TransferStats {
  client: { address: string; port: number };
  file: string;
  options: Record<string, string>;
  bytes: number;
  durationMs: number;
  outcome: TransferOutcome | "refused" | "aborted";
  error?: string;
  resent: number;
  /** The last block the client acknowledged (0: none), and the file's size when it was opened. */
  lastBlock: number;
  size?: number;
}

/** Everything a transfer needs: its own socket (its TID), the peer, the bytes and the negotiated options. */
export interface RunOptions {
  /** Bound and connected to `peer`: the kernel drops every datagram from another address or port. */
  sock: Socket;
  peer: { address: string; port: number };
  source: BlockSource;
  negotiated: Negotiated;
  timeoutMs: number;
  /**
   * The wait before the client's first ACK from its own address (the server's default). A client that never
   * acknowledges (or never sent the request: UDP sources can be spoofed) must not hold a slot for the
   * negotiated timeout: 255 s x 6 sends each.
   */
  firstTimeoutMs: number;
  /** Called at each ACK from the client's own address: the first proves a real client, later ones progress. */
  onAck?: () => void;
  maxRetries: number;
  file: string;
  requested: Map<string, string>;
  /** Receives the function that aborts this transfer, telling the client why (shutdown, evicted). */
  onAbortHook: (abort: (why: string) => void) => void;
  /** Dropped datagrams, failed sends and handler failures go here; they end this transfer at most. */
  onFault: UdpFaultSink;
  /** The socket's family, for the address checks. */
  family: "udp4" | "udp6";
}

/**
 * Drives the transfer state machine over a socket connected to the peer: sends what it says, feeds it ACKs
 * and timeouts. Resolves when it ends, never rejects: a send that fails or a bug in a handler ends this
 * transfer as `aborted`, and nothing else.
 */
export function runTransfer(o: RunOptions): Promise<TransferStats> {
  const { sock, peer, source, negotiated } = o;
  const started = performance.now();
  let state = newTransfer(
    source.size,
    negotiated.blksize,
    negotiated.windowsize,
    negotiated.oack.size > 0,
    o.maxRetries,
  );
  let timer: NodeJS.Timeout | undefined;
  let timerMs = 0;
  let proven = false;
  let peerMessage: string | undefined;
  // Sends are serialised: a window read from a slow source must not interleave with the next one.
  let sending: Promise<unknown> = Promise.resolve();
  let readsInFlight = 0;

  return new Promise<TransferStats>((resolve) => {
    let ended = false;
    const end = (outcome: TransferStats["outcome"], error?: string) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      sock.removeAllListeners("message");
      const acknowledged = Math.min(source.size, (state.base - 1) * negotiated.blksize);
      resolve({
        client: peer,
        file: o.file,
        options: Object.fromEntries(o.requested),
        bytes: outcome === "complete" ? source.size : acknowledged,
        durationMs: performance.now() - started,
        outcome,
        error,
        resent: state.resent,
        lastBlock: Math.max(0, state.base - 1),
        size: source.size,
      });
    };
    // The peer is checked once; every send after that only guards against a throw. Async send errors
    // arrive as the socket's error event (no per-block callback on the hot path) and end the transfer.
    const fault = (message: string) => end("aborted", message);
    const onFault: UdpFaultSink = (f) => {
      o.onFault(f);
      if (f.kind === "send-failed") fault(f.message);
    };
    const send = (data: Buffer | Buffer[]) => sendConnected(sock, data, peer, onFault);
    const unreachable = checkDestination(peer, { family: o.family });
    if (unreachable) {
      o.onFault({ kind: "refused-destination", peer, message: `transfer not started: ${unreachable}` });
      return end("aborted", unreachable);
    }
    o.onAbortHook((why) => {
      send(encodeError(TFTP_ERROR.NOT_DEFINED, why));
      end("aborted", why);
    });

    // Everything that runs from a timer or a promise goes through here: a throw ends this transfer only.
    const guarded = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (err) {
        o.onFault({ kind: "handler-threw", peer, message: `${what} failed: ${(err as Error).message}` });
        fault(`${what} failed: ${(err as Error).message}`);
      }
    };

    // One timer per transfer, restarted with refresh(): no timer churn on the per-packet hot path. It is
    // made again only once, when the client's first ACK switches to the negotiated timeout.
    const arm = () => {
      const ms = proven ? o.timeoutMs : Math.min(o.timeoutMs, o.firstTimeoutMs);
      if (timer && timerMs === ms) return void timer.refresh();
      clearTimeout(timer);
      timerMs = ms;
      timer = setTimeout(() => guarded("timeout", () => handle({ type: "timeout" })), ms);
    };

    const transmit = (chunk: Buffer, from: number, to: number) => {
      const bs = negotiated.blksize;
      for (let b = from; b <= to; b++) {
        // Header and payload as two parts of one datagram: the payload is never copied (profiled: copying
        // every block cost more than the two-part send).
        // A window of one block (lock-step) is the read itself: no second view per block.
        const data =
          from === to && chunk.length <= bs ? chunk : chunk.subarray((b - from) * bs, (b - from + 1) * bs);
        if (!send([encodeDataHeader(b), data]) || ended) return;
      }
      arm();
    };

    const readFailed = (err: Error) => {
      if (ended) return;
      send(encodeError(TFTP_ERROR.NOT_DEFINED, "read error"));
      end("peer-error", `read failed: ${err.message}`);
    };

    const sendBlocks = (from: number, to: number) => {
      const bs = negotiated.blksize;
      const read = () => source.read((from - 1) * bs, (to - from + 1) * bs);
      if (readsInFlight > 0) {
        // Keep windows in order behind a slow read (all of them, not only the first: a source such as
        // netascii must see its reads in order).
        readsInFlight++;
        sending = sending
          .then(async () => {
            if (ended) return;
            const chunk = await read();
            guarded("send", () => ended || transmit(chunk, from, to));
          })
          .catch(readFailed)
          .finally(() => readsInFlight--);
        return;
      }
      let chunk: Buffer | Promise<Buffer>;
      try {
        chunk = read();
      } catch (err) {
        return readFailed(err as Error);
      }
      if (Buffer.isBuffer(chunk)) return transmit(chunk, from, to); // in memory or read ahead: no await
      readsInFlight++;
      sending = chunk
        .then((c) => guarded("send", () => ended || transmit(c, from, to)))
        .catch(readFailed)
        .finally(() => readsInFlight--);
    };

    const apply = (effect: TransferEffect) => {
      switch (effect.type) {
        case "send-oack":
          send(encodeOack(negotiated.oack));
          arm();
          return;
        case "send-blocks":
          sendBlocks(effect.from, effect.to);
          return;
        case "finish":
          if (effect.error) send(encodeError(effect.error.code, effect.error.message));
          end(effect.outcome, effect.error?.message ?? peerMessage);
          return;
        case "none":
          return;
      }
    };

    const handle = (event: TransferEvent) => {
      if (ended) return;
      const [next, effect] = stepTransfer(state, event);
      state = next;
      apply(effect);
    };

    // The socket is connected: only the peer's datagrams arrive (a stranger's never reach Node; the kernel
    // answers them with ICMP port unreachable, as tftpd-hpa's connected sockets do), so nothing is checked
    // per datagram. An ACK is read in place: it is every other datagram of a transfer.
    onDatagram(
      sock,
      (msg) => {
        if (msg.length === 4 && msg[0] === 0 && msg[1] === OP.ACK) {
          proven = true;
          o.onAck?.();
          return handle({ type: "ack", block: msg.readUInt16BE(2) });
        }
        // Anything else but an ERROR (an ACK of another length is malformed) is ignored.
        const p = decodePacket(msg);
        if (p.op === "error") {
          peerMessage = `client sent error ${p.code}: ${p.message}`;
          handle({ type: "peer-error", code: p.code, message: p.message });
        }
      },
      o.onFault,
      { family: o.family, dropUnreachableSources: false },
      (err) => fault(`datagram handler failed: ${(err as Error)?.message ?? String(err)}`),
    );
    sock.on("error", (err) => {
      o.onFault({ kind: "send-failed", peer, message: `socket error: ${err.message}` });
      fault(`socket error: ${err.message}`);
    });
    guarded("start", () => handle({ type: "start" }));
  });
}
