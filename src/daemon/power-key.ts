import { join } from "node:path";
import { powerKeyId } from "../core/power-secrets.js";
import type { PowerRecord } from "../domain/power.js";
import { COLLECTIONS } from "../store/collections.js";
import type { Store } from "../store/store.js";
import { loadKeyFile } from "./session-secret.js";

/** The file in the data directory (beside, not inside, the store) that seals BMC passwords. */
export const POWER_KEY_FILE = "power.key";

/**
 * Reads the key BMC passwords are sealed with (AES-256-GCM), creating it (32 random bytes, hex, mode 0600)
 * on first start. Outside the store, so a copy of the store alone (a backup, an export) holds no password
 * it can open. Losing it means setting every BMC password again.
 */
export function loadPowerKey(dataDir: string): Buffer {
  return loadKeyFile(join(dataDir, POWER_KEY_FILE), "every stored BMC password must then be set again");
}

/**
 * The start's warning when stored BMC passwords were sealed with another power.key (a data directory
 * restored without it, or a deleted key a start replaced silently), else undefined: without it the
 * operator learns only at the next action, machine by machine, and may set passwords again that the old
 * key would have opened.
 */
export function foreignSealsNotice(store: Store, key: Buffer, dataDir: string): string | undefined {
  const id = powerKeyId(key);
  const foreign = [...store.all<PowerRecord>(COLLECTIONS.power)].filter(
    (r) => r.password !== undefined && r.password.keyId !== id,
  );
  if (foreign.length === 0) return undefined;
  const ids = [...new Set(foreign.map((r) => r.password?.keyId))].slice(0, 3).join(", ");
  return (
    `${foreign.length} machine(s) have BMC passwords sealed with another power.key (key id ${ids}; this one ` +
    `is ${id}): put that power.key back into ${dataDir} and restart, or set their passwords again (docs/power.md)`
  );
}
