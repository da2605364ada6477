// Child process for the crash test: commits in a loop and prints "ack RUN N" only after a commit resolves.
import { FileStore } from "../../src/store/file-store.js";

const [dir, run] = process.argv.slice(2) as [string, string];
const store = await FileStore.open({ dir, compactBytes: 64 * 1024 });
process.stdout.write("open\n");
for (let n = 0; ; n++) {
  const pad = "p".repeat((n * 37) % 900);
  const batch = Array.from({ length: 1 + (n % 3) }, (_, i) => ({
    op: "put" as const,
    collection: "crash",
    id: `${run}-${n}-${i}`,
    value: { run, n, i, pad },
  }));
  // A few commits in flight at once, as under concurrent HTTP requests.
  await Promise.all([
    store.commit(batch),
    store.commit([{ op: "put", collection: "last", id: run, value: n }]),
  ]);
  process.stdout.write(`ack ${run} ${n}\n`);
}
