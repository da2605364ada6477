/**
 * One read transfer as a pure state machine: the runner feeds it events (start, ACK, timeout, peer ERROR)
 * and carries out the effects it returns (send the OACK, send a range of blocks, finish). Block numbers are
 * absolute here (1..blocks) and wrap to 16 bits only on the wire, so files of any size work.
 */
export type TransferPhase = "oack" | "data" | "done" | "failed";

/** The state of one transfer. */
export interface TransferState {
  phase: TransferPhase;
  /** DATA packets in the file: the last one is shorter than blksize, possibly empty. */
  blocks: number;
  windowsize: number;
  /** The lowest block not yet acknowledged. */
  base: number;
  /** The highest block sent so far (0 before the first). */
  sent: number;
  retries: number;
  maxRetries: number;
  /** Blocks sent again after a timeout or a gap, for the log. */
  resent: number;
}

/** What happens to a transfer. */
export type TransferEvent =
  | { type: "start" }
  | { type: "ack"; block: number }
  | { type: "timeout" }
  | { type: "peer-error"; code: number; message: string };

/** What the runner must do. */
export type TransferEffect =
  | { type: "send-oack" }
  | { type: "send-blocks"; from: number; to: number }
  | { type: "finish"; outcome: TransferOutcome; error?: { code: number; message: string } }
  | { type: "none" };

/** How a transfer ended, for logs and metrics. */
export type TransferOutcome = "complete" | "aborted-after-oack" | "peer-error" | "timeout";

/** A transfer of `size` bytes at `blksize`, with or without an OACK first. */
export function newTransfer(
  size: number,
  blksize: number,
  windowsize: number,
  withOack: boolean,
  maxRetries = 5,
): TransferState {
  return {
    phase: withOack ? "oack" : "data",
    blocks: Math.floor(size / blksize) + 1,
    windowsize,
    base: 1,
    sent: 0,
    retries: 0,
    maxRetries,
    resent: 0,
  };
}

/** The pure transition: new state plus the one effect to carry out. */
export function stepTransfer(s: TransferState, e: TransferEvent): [TransferState, TransferEffect] {
  if (s.phase === "done" || s.phase === "failed") return [s, { type: "none" }];
  switch (e.type) {
    case "start":
      return s.phase === "oack" ? [s, { type: "send-oack" }] : sendWindow(s, 1);
    case "ack": {
      if (s.phase === "oack")
        return e.block === 0 ? sendWindow({ ...s, phase: "data", retries: 0 }, 1) : [s, { type: "none" }];
      const k = absoluteBlock(s.sent, e.block);
      // Only an ACK that acknowledges something new moves the transfer. A repeated or stale ACK is ignored
      // and never answered with a resend: that is the Sorcerer's Apprentice bug (RFC 1123 4.2.3.1).
      if (k < s.base || k > s.sent) return [s, { type: "none" }];
      if (k === s.blocks)
        return [
          { ...s, phase: "done", base: k + 1 },
          { type: "finish", outcome: "complete" },
        ];
      const gap = k < s.sent; // RFC 7440: the receiver saw a gap and acknowledged the last block in order
      const [next, effect] = sendWindow({ ...s, base: k + 1, retries: 0 }, k + 1);
      return [
        gap && effect.type === "send-blocks" ? { ...next, resent: next.resent + (s.sent - k) } : next,
        effect,
      ];
    }
    case "timeout": {
      if (s.retries >= s.maxRetries) {
        const error = { code: 0, message: `timed out after ${s.retries} retries` };
        return [
          { ...s, phase: "failed" },
          { type: "finish", outcome: "timeout", error },
        ];
      }
      const next = { ...s, retries: s.retries + 1 };
      if (s.phase === "oack") return [next, { type: "send-oack" }];
      const [after, effect] = sendWindow(next, s.base);
      return [
        {
          ...after,
          resent: after.resent + (effect.type === "send-blocks" ? effect.to - effect.from + 1 : 0),
        },
        effect,
      ];
    }
    case "peer-error":
      // An ERROR right after the OACK is how PXE ROMs end their size probe: normal, not a failure.
      return s.phase === "oack"
        ? [
            { ...s, phase: "done" },
            { type: "finish", outcome: "aborted-after-oack" },
          ]
        : [
            { ...s, phase: "failed" },
            { type: "finish", outcome: "peer-error" },
          ];
  }
}

function sendWindow(s: TransferState, from: number): [TransferState, TransferEffect] {
  const to = Math.min(s.blocks, from + s.windowsize - 1);
  return [
    { ...s, sent: Math.max(s.sent, to) },
    { type: "send-blocks", from, to },
  ];
}

/** Maps a 16-bit block number to the absolute block at or just below `sent` with those low bits. */
export function absoluteBlock(sent: number, wire: number): number {
  return sent - (((((sent & 0xffff) - wire) % 65536) + 65536) % 65536);
}
