#!/usr/bin/env -S node --max-semi-space-size=1
// The enforcer binary: runs the compiled entry point. `npm install` builds dist/ once (the `prepare` script) and
// a release package ships it: a start only runs node, it never compiles. After changing the source, `npm run
// build` (or `npm run dev`, which builds and serves).
// The V8 flag above keeps the young generation at 1 MiB per semi-space instead of growing to 16: about 15 MiB
// less resident memory for a few percent of throughput (docs/footprint.md). It applies when this file runs as a
// program (the installed `enforcer`, the service, the container); `node bin/enforcer.js` runs without it.
import { existsSync } from "node:fs";

const entry = new URL("../dist/src/daemon/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("enforcer: not built yet (no dist/): run `npm run build` in the source directory\n");
  process.exit(1);
}
await import(entry.href);
