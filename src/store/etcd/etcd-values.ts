import { COLLECTIONS } from "../collections.js";

type Json = Record<string, unknown>;

const KNOWN = new Set<string>(Object.values(COLLECTIONS));
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown) => typeof v === "string";

/**
 * What the services index and read without checking again, per collection: a value from etcd that lacks it
 * would throw in every listing, or at the next start of every instance. Enforcer's other collections: an
 * object. A collection Enforcer does not keep (the store's own tests): any JSON.
 */
const SHAPES: Record<string, (v: Json, id: string) => string | undefined> = {
  [COLLECTIONS.machines]: (v, id) =>
    v.id !== id
      ? "its id is not its key"
      : !Array.isArray(v.macs) || !v.macs.every(isString)
        ? "macs is not a list of strings"
        : undefined,
  [COLLECTIONS.configs]: (v, id) =>
    v.id !== id
      ? "its id is not its key"
      : !isString(v.machine) || !isString(v.profile)
        ? "machine or profile is not a string"
        : !isObject(v.lifecycle) || !isString(v.lifecycle.state)
          ? "lifecycle has no state"
          : undefined,
  [COLLECTIONS.profiles]: (v, id) => (v.name !== id ? "its name is not its key" : undefined),
  [COLLECTIONS.tokens]: (v, id) => (v.id !== id ? "its id is not its key" : undefined),
  [COLLECTIONS.commands]: (v, id) =>
    v.id !== id ? "its id is not its key" : !isString(v.machine) ? "machine is not a string" : undefined,
  [COLLECTIONS.events]: (v) =>
    typeof v.seq !== "number" || !isString(v.kind) || !isString(v.machine) || !isString(v.at)
      ? "seq, kind, machine or at is missing"
      : undefined,
};

/**
 * Why a value read from etcd cannot be a store value of `collection`/`id` (undefined: it can). etcd is shared
 * with other tools and people: a hand-written or foreign value must not reach the services, which trust what
 * the store holds (the file store's own journal is checksummed). Text that is not JSON is told apart by the
 * caller.
 */
export function inadmissible(collection: string, id: string, value: unknown): string | undefined {
  if (!KNOWN.has(collection)) return undefined;
  if (!isObject(value)) return "not a JSON object";
  return SHAPES[collection]?.(value, id);
}

/**
 * The value etcd holds under `key` (at collection/id), or undefined, with a warning, for one no service
 * could read (not JSON, or not the shape its collection needs): it is left out.
 */
export function readValue(
  key: string,
  text: string,
  at: { collection: string; id: string },
  warn: ((message: string) => void) | undefined,
): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    warn?.(`etcd: ${key} does not hold JSON; left out`);
    return undefined;
  }
  const why = inadmissible(at.collection, at.id, value);
  if (why === undefined) return value;
  warn?.(`etcd: ${key} does not hold an Enforcer ${at.collection} value (${why}); left out`);
  return undefined;
}
