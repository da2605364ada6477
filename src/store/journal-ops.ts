import { EnforcerError } from "../domain/errors.js";
import { COLLECTIONS } from "./collections.js";
import { decodeEvent, encodeEvent, type EventEntry } from "./journal-events.js";
import type { StoreOp } from "./store.js";

/**
 * How the journal writes an op: `["p", collection, id, value]` (put), `["d", collection, id]` (delete), or
 * `["m", collection, id, set, unset?, sub?]` (merge: a put that kept some fields of the stored object,
 * written as the fields it set, the ones it removed, and nested merges for object fields it changed in part). A boot that moves a config from armed to triggered writes its lifecycle,
 * not its rendered files again; a seen stamp writes `lastSeen`, not the machine's facts (SD cards: see
 * docs/store.md, "Writes per boot"). Journals of older versions hold `{op, collection, id, value}` objects,
 * which are still read. A new event is written in its own compact form (`["e", …]`, journal-events.ts).
 */
export type JournalEntry =
  | ["p", string, string, unknown]
  | ["d", string, string]
  | ["m", string, string, ...Patch]
  | EventEntry
  | StoreOp;

/** Fields set, fields removed, and object fields merged in turn; trailing empty parts are left out. */
type Patch = [Record<string, unknown>, string[]?, Record<string, Patch>?];

/** Reads the value a key holds now (before the ops being encoded or replayed). */
export type CurrentValue = (collection: string, id: string) => unknown;

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Same JSON: the same reference (values are never changed in place), or equal when written out. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return (
    typeof a === "object" && a !== null && typeof b === "object" && JSON.stringify(a) === JSON.stringify(b)
  );
}

/** A merge of `next` over `prev` when at least one field stays as it was; else nothing (write it whole). */
function merge(prev: unknown, next: unknown): Patch | undefined {
  // The same object again may have been changed in place: only a whole put is sure to say what it holds.
  if (!isPlain(prev) || !isPlain(next) || prev === next) return undefined;
  const set: Plain = {};
  const sub: Record<string, Patch> = {};
  let kept = 0;
  for (const [k, v] of Object.entries(next)) {
    if (v === undefined) continue;
    if (same(prev[k], v)) {
      kept++;
      continue;
    }
    // A config's lifecycle moving on keeps its earlier times: those are not written again.
    const inner = merge(prev[k], v);
    if (inner) sub[k] = inner;
    else set[k] = v;
  }
  if (kept === 0) return undefined;
  const unset = Object.keys(prev).filter((k) => prev[k] !== undefined && next[k] === undefined);
  if (Object.keys(sub).length > 0) return [set, unset, sub];
  return unset.length > 0 ? [set, unset] : [set];
}

/** `prev` with a merge applied (nothing there: the merge's own fields). */
function applyPatch(prev: unknown, [set, unset = [], sub = {}]: Patch): Plain {
  const value: Plain = { ...(isPlain(prev) ? prev : {}), ...set };
  for (const k of unset) delete value[k];
  for (const [k, p] of Object.entries(sub)) value[k] = applyPatch(value[k], p);
  return value;
}

/** Follows the ops of one commit, so that a second op on a key sees what the first left there. */
function overlay(current: CurrentValue) {
  const touched = new Map<string, unknown>();
  const key = (c: string, id: string) => `${c}\u0000${id}`;
  return {
    get: (c: string, id: string) => (touched.has(key(c, id)) ? touched.get(key(c, id)) : current(c, id)),
    set: (c: string, id: string, v: unknown) => touched.set(key(c, id), v),
  };
}

/** The journal entries for a commit, given what each key holds before it (call before applying the ops). */
export function toJournal(ops: readonly StoreOp[], current: CurrentValue): JournalEntry[] {
  const seen = overlay(current);
  return ops.map((o): JournalEntry => {
    if (o.op === "del") {
      seen.set(o.collection, o.id, undefined);
      return ["d", o.collection, o.id];
    }
    const prev = seen.get(o.collection, o.id);
    seen.set(o.collection, o.id, o.value);
    const e = o.collection === COLLECTIONS.events ? encodeEvent(o.id, o.value) : undefined;
    if (e) return e;
    const m = merge(prev, o.value);
    return m ? ["m", o.collection, o.id, ...m] : ["p", o.collection, o.id, o.value];
  });
}

/**
 * The store ops of one journal line, given what each key holds before it. A merge whose key is absent (a
 * commit replayed over a snapshot that already holds a later delete of it) yields its fields alone, which
 * that later delete, replayed after it, removes again.
 */
export function fromJournal(entries: readonly JournalEntry[], current: CurrentValue): StoreOp[] {
  const seen = overlay(current);
  return entries.map((e): StoreOp => {
    const op = decode(e, seen.get);
    seen.set(op.collection, op.id, op.op === "put" ? op.value : undefined);
    return op;
  });
}

function decode(e: JournalEntry, current: CurrentValue): StoreOp {
  if (!Array.isArray(e)) return e; // an older version's entry
  if (e[0] === "e") return decodeEvent(e);
  const [tag, collection, id] = e;
  if (tag === "p") return { op: "put", collection, id, value: e[3] };
  if (tag === "d") return { op: "del", collection, id };
  if (tag === "m") {
    const [, , , ...patch] = e;
    return { op: "put", collection, id, value: applyPatch(current(collection, id), patch) };
  }
  throw new EnforcerError(
    "ENF_ERR_STORE_CORRUPT",
    `journal entry of unknown kind ${JSON.stringify(tag)}: written by a newer Enforcer?`,
  );
}
