import { mkdtempSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore } from "./file-store.js";
import { storeContract } from "./testing/store-contract.js";

storeContract("file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "enforcer-contract-"));
  const store = await FileStore.open({ dir });
  return {
    store,
    reopen: () => FileStore.open({ dir }),
    // Closing the journal under the store makes its next write fail as a dying disk would (EBADF for EIO).
    breakDurability: () => (store as unknown as { journal: FileHandle }).journal.close(),
  };
});
