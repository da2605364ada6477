import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import { COLLECTIONS } from "../store/collections.js";
import type { Store } from "../store/store.js";

/** The file, in the data directory beside (not inside) the store, that discovery keys are derived from. */
export const SESSION_SECRET_FILE = "session.secret";

/**
 * Reads the server secret discovery keys are derived from, creating it (32 random bytes, hex, mode 0600) on
 * first start. It lives outside the store so that a copy of the store alone (a backup, a snapshot) cannot
 * produce a single key. Losing it only means discovery boots in progress get new keys.
 */
export function loadSessionSecret(dataDir: string): Buffer {
  const path = join(dataDir, SESSION_SECRET_FILE);
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
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return loadSessionSecret(dataDir);
      throw new EnforcerError("ENF_ERR_STORE_IO", `cannot write ${path}: ${(e as Error).message}`, { path });
    }
    return secret;
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new EnforcerError(
      "ENF_ERR_STORE_CORRUPT",
      `${path} is not 64 hex digits; delete it to make a new one (discovery boots in progress then need a new key)`,
      { path },
    );
  }
  // A copy restored with looser modes is tightened again.
  chmodSync(path, 0o600);
  return Buffer.from(hex, "hex");
}

/** Where a shared store keeps the session secret: the runtime collection, beside the settings. */
const SHARED_ID = "session-secret";
/** How long a start waits for the secret another instance stored first to reach it through the feed. */
const SHARED_WAIT_MS = 10_000;

/**
 * The secret every instance of a shared store derives discovery keys from, so a key issued by one is
 * accepted by all: the one stored in the store (`runtime/session-secret`), or, when none is yet, this
 * instance's `local` one, stored once with `expect` absent (of two first starts, one wins and the other
 * takes its secret). A local store (`shared: false`) keeps the file alone, as before: a copy of the store
 * cannot produce keys. With etcd, whoever reads the store can; they can change every config anyway.
 */
export async function sharedSessionSecret(store: Store, local: Buffer): Promise<Buffer> {
  if (!store.shared) return local;
  const stored = () => {
    const v = store.get<{ hex?: unknown }>(COLLECTIONS.runtime, SHARED_ID);
    return typeof v?.hex === "string" && /^[0-9a-f]{64}$/.test(v.hex) ? Buffer.from(v.hex, "hex") : undefined;
  };
  const have = stored();
  if (have) return have;
  const was = store.get(COLLECTIONS.runtime, SHARED_ID);
  try {
    const value = { hex: local.toString("hex") };
    await store.commit(
      [{ op: "put", collection: COLLECTIONS.runtime, id: SHARED_ID, value }],
      [{ collection: COLLECTIONS.runtime, id: SHARED_ID, value: was }],
    );
    return stored() ?? local;
  } catch (err) {
    if (!isEnforcerError(err) || err.code !== "ENF_ERR_STORE_CONFLICT") throw err;
  }
  // Another instance stored its secret first: it reaches this one through the feed.
  return await new Promise<Buffer>((resolve, reject) => {
    const done = (s: Buffer | undefined) => {
      if (!s) return;
      clearTimeout(timer);
      stop();
      resolve(s);
    };
    const stop = store.onApplied(() => done(stored()));
    const timer = setTimeout(() => {
      stop();
      reject(
        new EnforcerError(
          "ENF_ERR_STORE_UNAVAILABLE",
          `another instance stored the session secret, but it did not arrive within ${SHARED_WAIT_MS / 1000} s`,
        ),
      );
    }, SHARED_WAIT_MS);
    done(stored());
  });
}
