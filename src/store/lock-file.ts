import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { EnforcerError } from "../domain/errors.js";

/**
 * Takes the data directory's lock so two processes never append to one journal. A lock left by a process
 * that no longer runs (kill -9, power loss) is taken over. Returns the release function.
 */
export function acquireLock(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new EnforcerError("ENF_ERR_STORE_IO", `cannot create lock ${path}: ${(err as Error).message}`);
      }
      const owner = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new EnforcerError(
          "ENF_ERR_STORE_IO",
          `the data directory is in use by process ${owner} (${path})`,
          {
            pid: owner,
          },
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new EnforcerError("ENF_ERR_STORE_IO", `cannot take lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
