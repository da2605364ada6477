import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EnforcerError } from "../domain/errors.js";

/** The file, in the data directory beside (not inside) the store, that discovery keys are derived from. */
export const SESSION_SECRET_FILE = "session.secret";

/**
 * Reads the server secret discovery keys are derived from, creating it (32 random bytes, hex, mode 0600) on
 * first start. It lives outside the store so that a copy of the store alone (a backup, a snapshot) cannot
 * produce a single key. Losing it only means discovery boots in progress get new keys.
 */
export function loadSessionSecret(dataDir: string): Buffer {
  return loadKeyFile(join(dataDir, SESSION_SECRET_FILE), "discovery boots in progress then need a new key");
}

/**
 * Reads a 32-byte key kept as 64 hex digits in `path`, creating it (random, mode 0600, never over another
 * start's) when absent; `lostMeans` tells an operator what deleting a damaged one costs.
 */
export function loadKeyFile(path: string, lostMeans: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT")
      throw new EnforcerError("ENF_ERR_STORE_IO", `cannot read ${path}: ${(err as Error).message}`, { path });
    const secret = randomBytes(32);
    try {
      // "wx": never overwrite a secret another start wrote meanwhile.
      writeFileSync(path, `${secret.toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return loadKeyFile(path, lostMeans);
      throw new EnforcerError("ENF_ERR_STORE_IO", `cannot write ${path}: ${(e as Error).message}`, { path });
    }
    return secret;
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new EnforcerError(
      "ENF_ERR_STORE_CORRUPT",
      `${path} is not 64 hex digits; delete it to make a new one (${lostMeans})`,
      { path },
    );
  }
  // A copy restored with looser modes is tightened again.
  chmodSync(path, 0o600);
  return Buffer.from(hex, "hex");
}
