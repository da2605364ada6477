import { EnforcerError } from "../domain/errors.js";
import { COLLECTIONS } from "./collections.js";
import type { StoreOp } from "./store.js";

/**
 * A machine event as the journal writes it: `["e", seq, at, machine, kind, config?, detail?]`, with `at` in
 * milliseconds since the epoch, the id (the zero-padded seq) and the key names left out, and `0` for an
 * absent config before a detail. About 75 bytes less per event than a put of the object: every boot writes
 * two or three events, and this was half of an ordinary boot's bytes (SD cards: docs/store.md, "Writes per
 * boot"). Only what reads back as the same JSON is written this way; anything else stays a plain put.
 */
export type EventEntry =
  | ["e", number, number, string, string]
  | ["e", number, number, string, string, string | 0]
  | ["e", number, number, string, string, string | 0, Record<string, unknown>];

/** The id an event with this seq is stored under (core/event-log.ts numbers them so). */
function seqId(seq: number): string {
  return String(seq).padStart(12, "0");
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The compact entry for a put of `value` under `events/<id>`, or nothing when it would not read back the same. */
export function encodeEvent(id: string, value: unknown): EventEntry | undefined {
  if (!isPlain(value)) return undefined;
  const { seq, at, machine, kind, config, detail } = value;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0 || seqId(seq) !== id) return undefined;
  if (typeof at !== "string" || typeof machine !== "string" || typeof kind !== "string") return undefined;
  const ms = Date.parse(at);
  if (!Number.isFinite(ms)) return undefined;
  if (config !== undefined && (typeof config !== "string" || config === "")) return undefined;
  if (detail !== undefined && !isPlain(detail)) return undefined;
  const entry: EventEntry =
    detail !== undefined
      ? ["e", seq, ms, machine, kind, config ?? 0, detail]
      : config !== undefined
        ? ["e", seq, ms, machine, kind, config]
        : ["e", seq, ms, machine, kind];
  // Key order, extra fields, a time not in toISOString's form: whatever would change is written whole.
  return JSON.stringify(decodeEvent(entry).value) === JSON.stringify(value) ? entry : undefined;
}

/** The put a compact event entry stands for. */
export function decodeEvent(e: EventEntry): StoreOp & { op: "put" } {
  const [, seq, ms, machine, kind, config, detail] = e;
  const at = new Date(ms);
  if (!Number.isSafeInteger(seq) || Number.isNaN(at.getTime()))
    throw new EnforcerError(
      "ENF_ERR_STORE_CORRUPT",
      `journal event entry with seq ${seq} at ${ms} is not one`,
    );
  const value: Record<string, unknown> = { seq, at: at.toISOString(), machine, kind };
  if (typeof config === "string") value.config = config;
  if (detail !== undefined) value.detail = detail;
  return { op: "put", collection: COLLECTIONS.events, id: seqId(seq), value };
}
