import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

/** Every form a password could leak in: plain, base64 (alone or in a Basic header), hex. */
function needles(secrets: Record<string, string>, user: string): { name: string; bytes: Buffer }[] {
  return Object.entries(secrets).flatMap(([name, pw]) => [
    { name, bytes: Buffer.from(pw) },
    { name: `${name} (base64)`, bytes: Buffer.from(Buffer.from(pw).toString("base64").replace(/=+$/, "")) },
    { name: `${name} (Basic)`, bytes: Buffer.from(Buffer.from(`${user}:${pw}`).toString("base64")) },
    { name: `${name} (hex)`, bytes: Buffer.from(Buffer.from(pw).toString("hex")) },
  ]);
}

/** Each of `secrets` (by name, in any form of needles()) found in `hay`, with `where`. */
export function leaksIn(
  secrets: Record<string, string>,
  user: string,
  where: string,
  hay: Buffer | string,
): string[] {
  const buf = typeof hay === "string" ? Buffer.from(hay) : hay;
  return needles(secrets, user)
    .filter((n) => buf.includes(n.bytes))
    .map((n) => `${n.name} in ${where}`);
}

/** Every file under `dir` with its bytes, gzip streams opened (the store's snapshot is gzipped). */
export function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => join(dir, f))
    .filter((p) => statSync(p).isFile())
    .flatMap((path) => {
      const raw = readFileSync(path);
      const out = [{ path, bytes: raw }];
      if (raw[0] === 0x1f && raw[1] === 0x8b)
        out.push({ path: `${path} (gunzipped)`, bytes: gunzipSync(raw) });
      return out;
    });
}
