import { EnforcerError } from "./errors.js";

/** A MAC address in canonical form: six lower-case hex pairs joined by colons. */
export type Mac = string & { readonly __brand: "Mac" };

const SEPARATED =
  /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/;
const DOTTED = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/;
const BARE = /^[0-9a-f]{12}$/;
const CANONICAL = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
const HYPHENATED = /^[0-9a-f]{2}(?:-[0-9a-f]{2}){5}$/;

/** Parses `aa:bb:..`, `AA-BB-..`, `aabb.ccdd.eeff` or `aabbccddeeff` (any case) into canonical form. */
export function parseMac(input: string): Mac {
  // Every boot request parses its MAC, mostly in one of iPXE's two forms: those are answered without copies.
  if (CANONICAL.test(input)) return input as Mac;
  if (HYPHENATED.test(input)) return input.replaceAll("-", ":") as Mac;
  const s = input.trim().toLowerCase();
  let hex: string | undefined;
  const sep = SEPARATED.exec(s);
  if (sep) hex = [sep[1], sep[3], sep[4], sep[5], sep[6], sep[7]].join("");
  const dot = hex ? null : DOTTED.exec(s);
  if (dot) hex = dot[1]! + dot[2]! + dot[3]!;
  if (!hex && BARE.test(s)) hex = s;
  if (!hex) {
    throw new EnforcerError(
      "ENF_ERR_MAC_INVALID",
      `not a MAC address: ${JSON.stringify(input.slice(0, 64))}`,
      {
        value: input.slice(0, 64),
      },
    );
  }
  return hex.match(/../g)!.join(":") as Mac;
}

/** Like parseMac, but answers undefined instead of throwing. */
export function tryParseMac(input: string): Mac | undefined {
  try {
    return parseMac(input);
  } catch {
    return undefined;
  }
}
