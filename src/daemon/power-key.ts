import { join } from "node:path";
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
