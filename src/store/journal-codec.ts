import { crc32 } from "./crc32.js";
import type { StoreOp } from "./store.js";

/**
 * Journal lines are `CRC32(hex8) SP JSON LF`, one commit per line. The CRC makes a torn or damaged line
 * detectable; the LF makes a half-written last line detectable even when its bytes happen to parse.
 */
export function encodeRecord(ops: readonly StoreOp[]): string {
  const json = JSON.stringify(ops);
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
}

/** The result of reading a journal: whole commits, and where the intact prefix ends. */
export interface JournalScan {
  commits: StoreOp[][];
  /** Byte length of the intact prefix; anything after it is a torn tail or damage. */
  validBytes: number;
  /** Set when a bad line is followed by more data: damage in the middle, not a torn tail. */
  damagedAt?: { line: number; byte: number };
}

/** Reads a journal buffer, stopping at the first line that is incomplete or fails its CRC. */
export function scanJournal(buf: Buffer): JournalScan {
  const commits: StoreOp[][] = [];
  let pos = 0;
  let line = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) return { commits, validBytes: pos }; // torn last line: never acknowledged
    line++;
    const ops = decodeLine(buf.subarray(pos, nl).toString("utf8"));
    if (!ops) {
      // A bad line with an intact commit somewhere after it is damage; otherwise it is the torn tail of a
      // write that was never acknowledged (fsync had not returned), and dropping it loses nothing.
      return laterCommitIntact(buf, nl + 1)
        ? { commits, validBytes: pos, damagedAt: { line, byte: pos } }
        : { commits, validBytes: pos };
    }
    commits.push(ops);
    pos = nl + 1;
  }
  return { commits, validBytes: pos };
}

function decodeLine(text: string): StoreOp[] | undefined {
  if (text.length < 10 || text[8] !== " ") return undefined;
  const json = text.slice(9);
  if (crc32(json).toString(16).padStart(8, "0") !== text.slice(0, 8)) return undefined;
  try {
    const ops = JSON.parse(json) as unknown;
    return Array.isArray(ops) ? (ops as StoreOp[]) : undefined;
  } catch {
    return undefined;
  }
}

function laterCommitIntact(buf: Buffer, from: number): boolean {
  let pos = from;
  for (let nl = buf.indexOf(0x0a, pos); nl >= 0; pos = nl + 1, nl = buf.indexOf(0x0a, pos)) {
    if (decodeLine(buf.subarray(pos, nl).toString("utf8"))) return true;
  }
  return false;
}
