import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import { addressKey } from "../../domain/address-key.js";
import { onDatagram, sendSafe, type UdpFaultSink } from "../udp/safe-socket.js";
import { negotiate, type OptionLimits } from "./options.js";
import { decodePacket, encodeError, TFTP_ERROR } from "./packet.js";
import type { ReadResult } from "./source.js";
import { runTransfer, type TransferStats } from "./transfer-runner.js";

/** Where a request came from, as the read handler sees it. */
export interface TftpClient {
  address: string;
  port: number;
}

/** Options of the TFTP server; it knows no policy, only what its read handler returns. */
export interface TftpServerOptions extends OptionLimits {
  port: number;
  address: string;
  /**
   * Answers a read request: the bytes of `filename`, or an error for the client. `signal` aborts when the
   * request loses its slot before its transfer starts: stop waiting and release what it holds.
   */
  read: (filename: Buffer, client: TftpClient, mode: string, signal: AbortSignal) => Promise<ReadResult>;
  /** Called once per finished transfer (also for refused requests), for logs and metrics. */
  onTransfer?: (stats: TransferStats) => void;
  /** Called for datagrams that are not requests or cannot be decoded. */
  onBadPacket?: (client: TftpClient, reason: string) => void;
  /** Called for datagrams dropped unread, replies not sent and handler failures: counted, never thrown. */
  onFault?: UdpFaultSink;
  /** Most transfers running at once; past it a request goes unanswered (its client sends it again). */
  maxTransfers: number;
  /** Wait for an ACK before resending, unless the client negotiated `timeout` (default 1000 ms). */
  timeoutMs: number;
  /** Resends of one window before giving up (default 5). */
  maxRetries: number;
}

/** A running TFTP server. */
export interface TftpServer {
  port: number;
  /** Transfers in progress. */
  active(): number;
  /** Stops taking requests and ends every running transfer. */
  close(): Promise<void>;
}

/** A running request: how to end it, whose it is, and whether (and when) its client last acknowledged. */
interface Slot {
  abort: (why: string) => void;
  /** The client's address as slots are shared out (IPv6 per /64). */
  key: string;
  proven: boolean;
  lastAck: number;
  evicted: boolean;
  /** Aborted on eviction: a request still opening or measuring its file lets go at once. */
  opening: AbortController;
  /** Admitted past the cap to take a fair share once its file is open. */
  claim: boolean;
  /** When the request came (performance.now()). */
  since: number;
}

/** Requests admitted past the cap at once, waiting for their file before they take a fair share. */
const MAX_CLAIMS = 32;

/** Starts a read-only TFTP server (RFC 1350, 2347, 2348, 2349, 7440) on `node:dgram`. */
export async function startTftpServer(opts: TftpServerOptions): Promise<TftpServer> {
  const family = isIPv6(opts.address) ? "udp6" : "udp4";
  const main = createSocket({ type: family, reuseAddr: false });
  const transfers = new Set<Slot>();
  let claims = 0;

  const onFault: UdpFaultSink = (f) => opts.onFault?.(f);
  const rules = { family } as const;
  const refuse = (sock: Socket, to: RemoteInfo, code: number, message: string) => {
    sendSafe(sock, encodeError(code, message), to, onFault, rules);
  };

  // Every request wants a reply at its source: one from port 0 (or any address no reply can reach) is
  // dropped and counted before it is even decoded.
  onDatagram(
    main,
    (msg, rinfo) => {
      const client = { address: rinfo.address, port: rinfo.port };
      const p = decodePacket(msg);
      if (p.op === "malformed") {
        opts.onBadPacket?.(client, p.reason);
        return refuse(main, rinfo, TFTP_ERROR.ILLEGAL_OPERATION, `illegal TFTP operation: ${p.reason}`);
      }
      if (p.op === "wrq") {
        opts.onBadPacket?.(client, "write request");
        return refuse(main, rinfo, TFTP_ERROR.ACCESS_VIOLATION, "access violation: this server is read-only");
      }
      if (p.op !== "rrq")
        return opts.onBadPacket?.(client, `stray ${p.op.toUpperCase()} on the request port`);
      const key = addressKey(rinfo.address);
      // Full: the oldest unacknowledged transfer gives its slot up, else this request may claim a fair share.
      const claim = transfers.size >= opts.maxTransfers && !evictUnproven() && claimable(key);
      // Else it goes unanswered: firmware takes an ERROR as final (a storm at the cap failed 744 of 1,000
      // machines), but sends its RRQ again after a few seconds, by when a slot may be free. Nothing is kept.
      if (transfers.size >= opts.maxTransfers && !claim)
        return opts.onBadPacket?.(client, "too many transfers: dropped, the client asks again");
      const handle: Slot = {
        abort: () => {},
        key,
        proven: false,
        lastAck: 0,
        evicted: false,
        opening: new AbortController(),
        claim,
        since: performance.now(),
      };
      if (claim) claims++;
      transfers.add(handle);
      // A failure anywhere in one request ends that request: counted, and its slot freed.
      serveRequest(p.filename, p.mode, p.options, rinfo, handle)
        .catch((err: Error) =>
          onFault({ kind: "handler-threw", peer: client, message: `transfer failed: ${err.message}` }),
        )
        .finally(() => {
          transfers.delete(handle);
          settleClaim(handle);
        });
    },
    onFault,
    { family, dropUnreachableSources: true },
  );

  /**
   * The server is full: the oldest transfer whose client never acknowledged gives its slot up. Such requests
   * cost one datagram from any spoofable address; 256 of them kept every real client out.
   */
  function evictUnproven(): boolean {
    const now = performance.now();
    // Only one whose first datagram has gone unacknowledged for a whole timeout: machines booting together
    // took each other's slots in turn (44 of 50 got no answer with 0 ms), and with 50 ms a storm's busy
    // event loop read real clients' first ACKs too late; the evicted client hears an ERROR and gives up.
    for (const t of transfers)
      if (!t.proven && !t.claim && now - t.since >= opts.timeoutMs) {
        evict(t, "acknowledge sooner");
        return true;
      }
    return false;
  }

  /**
   * No unacknowledged transfer may go: the address holding the most slots gives its stalest transfer to an
   * address holding fewer (one host that acknowledged every slot once, asking `timeout 255`, kept everyone
   * else out for 25 minutes). Answers that transfer, or undefined when `requester` already has its share.
   */
  function fairVictim(requester: string, self?: Slot): Slot | undefined {
    const held = new Map<string, number>();
    for (const t of transfers) if (t !== self) held.set(t.key, (held.get(t.key) ?? 0) + 1);
    let top = requester;
    for (const [key, n] of held) if (n > (held.get(top) ?? 0)) top = key;
    // Only when the requester would still hold fewer: two addresses end up sharing, never trading slots.
    if ((held.get(top) ?? 0) <= (held.get(requester) ?? 0) + 1) return undefined;
    let victim: Slot | undefined;
    for (const t of transfers)
      if (t !== self && t.key === top && (!victim || t.lastAck < victim.lastAck)) victim = t;
    return victim;
  }

  /**
   * Whether a request may run past the cap until its file is open; the fair share is taken only then, so a
   * request for a missing file (from any spoofed address) never ends someone's transfer. A few at a time.
   */
  function claimable(requester: string): boolean {
    return claims < MAX_CLAIMS && fairVictim(requester) !== undefined;
  }

  function settleClaim(t: Slot): void {
    if (!t.claim) return;
    t.claim = false;
    claims--;
  }

  /** Ends `t` now (its client hears why): its slot goes to a newer request. */
  function evict(t: Slot, why: string): void {
    transfers.delete(t);
    t.evicted = true;
    t.opening.abort();
    t.abort(`server busy: another client took this slot; ${why}`);
  }

  async function serveRequest(
    filename: Buffer,
    mode: string,
    requested: Map<string, string>,
    rinfo: RemoteInfo,
    handle: Slot,
  ): Promise<void> {
    const client = { address: rinfo.address, port: rinfo.port };
    const started = performance.now();
    const name = filename.toString("latin1");
    const result = await opts
      .read(filename, client, mode, handle.opening.signal)
      .catch((err: Error): ReadResult => ({
        ok: false,
        code: TFTP_ERROR.NOT_DEFINED,
        message: `read failed: ${err.message}`,
      }));
    if (handle.evicted) {
      // Its slot went to a newer request while the file was opened: it ends unanswered, like a spoofed one.
      if (result.ok) result.source.close?.();
      return;
    }
    if (handle.claim && result.ok) {
      // The file is there: now the busiest address gives a slot up, if it still holds more than its share.
      settleClaim(handle);
      const victim = transfers.size > opts.maxTransfers ? fairVictim(handle.key, handle) : undefined;
      if (victim) evict(victim, "your address holds more slots than any other");
      else if (transfers.size > opts.maxTransfers) {
        // Unanswered, as a request on a full server: the client's next RRQ may find a slot.
        result.source.close?.();
        return opts.onBadPacket?.(client, "too many transfers: dropped, the client asks again");
      }
    }
    if (!result.ok) {
      // Like a transfer, the answer comes from a new port (TID): clients such as curl expect that.
      const tid = createSocket({ type: family });
      const closeTid = () => {
        try {
          tid.close();
        } catch {
          // already closed
        }
      };
      tid.on("error", closeTid);
      tid.bind(0, opts.address, () => {
        if (!sendSafe(tid, encodeError(result.code, result.message), rinfo, onFault, rules, closeTid))
          closeTid();
      });
      opts.onTransfer?.({
        client,
        file: name,
        options: Object.fromEntries(requested),
        bytes: 0,
        durationMs: performance.now() - started,
        outcome: "refused",
        error: result.message,
        resent: 0,
        lastBlock: 0,
      });
      return;
    }
    const negotiated = negotiate(requested, result.source.size, opts);
    const sock = createSocket({ type: family });
    try {
      // A bind or connect can fail (no free port, no file descriptor): that ends this request, not the
      // process. Connected to the client, the socket sends without an address lookup per datagram and the
      // kernel keeps every other source away from the transfer (tftpd-hpa does the same).
      await new Promise<void>((res, rej) => {
        sock.once("error", rej);
        sock.bind(0, opts.address, () =>
          sock.connect(rinfo.port, rinfo.address, (err?: Error) => {
            sock.off("error", rej);
            if (err) rej(err);
            else res();
          }),
        );
      });
      const stats = await runTransfer({
        sock,
        peer: client,
        source: result.source,
        negotiated,
        timeoutMs: negotiated.timeoutMs ?? opts.timeoutMs,
        firstTimeoutMs: opts.timeoutMs,
        onAck: () => {
          handle.proven = true;
          handle.lastAck = performance.now();
        },
        maxRetries: opts.maxRetries,
        file: name,
        requested,
        onAbortHook: (abort) => {
          handle.abort = abort;
          // Evicted while its socket was being bound: it ends before it sends anything.
          if (handle.evicted) abort("server busy: another client took this slot");
        },
        onFault,
        family,
      });
      opts.onTransfer?.(stats);
    } finally {
      // The close waits a turn: a send the kernel could not take at once waits in libuv's queue, and
      // closing first would lose the transfer's last datagram (an ERROR, say).
      const closeSocket = () =>
        setImmediate(() => {
          try {
            sock.close();
          } catch (err) {
            onFault({
              kind: "handler-threw",
              peer: client,
              message: `socket close: ${(err as Error).message}`,
            });
          }
        });
      for (const release of [() => result.source.close?.(), closeSocket]) {
        try {
          release();
        } catch (err) {
          onFault({
            kind: "handler-threw",
            peer: client,
            message: `transfer clean-up: ${(err as Error).message}`,
          });
        }
      }
    }
  }

  await new Promise<void>((res, rej) => {
    main.once("error", rej);
    main.bind(opts.port, opts.address, () => {
      main.off("error", rej);
      // After binding, a socket error must not crash the process (sends report theirs to their callback).
      main.on("error", (err) =>
        onFault({
          kind: "send-failed",
          peer: { address: opts.address, port: 0 },
          message: `socket error: ${err.message}`,
        }),
      );
      res();
    });
  });
  return {
    port: main.address().port,
    active: () => transfers.size,
    close: () =>
      new Promise<void>((res) => {
        for (const t of transfers) t.abort("server shutting down");
        main.close(() => res());
      }),
  };
}
