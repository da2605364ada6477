import { crc32 } from "./crc32.js";
import type { JournalEntry } from "./journal-ops.js";

/**
 * Journal lines are `CRC32(hex8) SP JSON LF`, one commit per line. The CRC makes a torn or damaged line
 * detectable; the LF makes a half-written last line detectable even when its bytes happen to parse.
 */
export function encodeRecord(entries: readonly JournalEntry[]): string {
  const json = JSON.stringify(entries);
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
}

/** The result of reading a journal: whole commits, and where the intact prefix ends. */
export interface JournalScan {
  /** Each commit's entries, to replay with fromJournal (a merge needs what its key held); empty when they went to `onCommit`. */
  commits: JournalEntry[][];
  /** How many intact commits came before the end or the damage. */
  count: number;
  /** Byte length of the intact prefix; anything after it is a torn tail or damage. */
  validBytes: number;
  /** Set when a bad line is followed by more data: damage in the middle, not a torn tail. */
  damagedAt?: { line: number; byte: number };
}

/**
 * Reads a journal buffer, stopping at the first line that is incomplete or fails its CRC. With `onCommit`,
 * each commit goes there as it is read instead of into `commits`: a replay then holds one parsed commit at
 * a time, not the whole journal (up to the compaction size, 8 MiB) parsed.
 */
export function scanJournal(buf: Buffer, onCommit?: (entries: JournalEntry[]) => void): JournalScan {
  const commits: JournalEntry[][] = [];
  let count = 0;
  let pos = 0;
  let line = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) return { commits, count, validBytes: pos }; // torn last line: never acknowledged
    line++;
    const ops = decodeLine(buf.subarray(pos, nl).toString("utf8"));
    if (!ops) {
      // A bad line with an intact commit somewhere after it is damage; otherwise it is the torn tail of a
      // write that was never acknowledged (fsync had not returned), and dropping it loses nothing.
      return laterCommitIntact(buf, nl + 1)
        ? { commits, count, validBytes: pos, damagedAt: { line, byte: pos } }
        : { commits, count, validBytes: pos };
    }
    if (onCommit) onCommit(ops);
    else commits.push(ops);
    count++;
    pos = nl + 1;
  }
  return { commits, count, validBytes: pos };
}

function decodeLine(text: string): JournalEntry[] | undefined {
  if (text.length < 10 || text[8] !== " ") return undefined;
  const json = text.slice(9);
  if (crc32(json).toString(16).padStart(8, "0") !== text.slice(0, 8)) return undefined;
  try {
    const ops = JSON.parse(json) as unknown;
    return Array.isArray(ops) ? (ops as JournalEntry[]) : undefined;
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
