import { chmodSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { EnforcerError } from "../domain/errors.js";

/** Mode of a directory that holds secrets: only the owner may list or enter it. */
export const PRIVATE_DIR = 0o700;
/** Mode of every file Enforcer writes into its data directory: config secrets and keys live there. */
export const PRIVATE_FILE = 0o600;

/**
 * Creates `dir` if needed (0700) and takes away every group and other permission from it and from the
 * regular files directly in it: data written by older versions, or copied in, was 0755/0644. Answers
 * what was changed, so the caller can say so once. Subdirectories are left alone (a discovery image, say).
 */
export function tightenModes(dir: string): string[] {
  const changed: string[] = [];
  try {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
    if (tighten(dir)) changed.push(dir);
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (st?.isFile() && tighten(path, st.mode)) changed.push(path);
    }
  } catch (err) {
    throw new EnforcerError("ENF_ERR_STORE_IO", `cannot secure ${dir}: ${(err as Error).message}`, {
      path: dir,
    });
  }
  return changed;
}

/** One line for the log naming what tightenModes changed, or undefined when nothing was. */
export function tightenedNotice(changed: string[]): string | undefined {
  if (changed.length === 0) return undefined;
  const shown = changed.slice(0, 5).join(", ");
  const more = changed.length > 5 ? ` and ${changed.length - 5} more` : "";
  return `took group and other permissions away from ${shown}${more} (directories 0700, files 0600)`;
}

/** Keeps the owner's bits, drops group's and other's (and set-id bits). */
function tighten(path: string, current = statSync(path).mode): boolean {
  if ((current & 0o7077) === 0) return false;
  chmodSync(path, current & 0o700);
  return true;
}
