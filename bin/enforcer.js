#!/usr/bin/env node
// The enforcer binary: runs the compiled entry point. `npm install` builds dist/ once (the `prepare` script) and
// a release package ships it: a start only runs node, it never compiles. After changing the source, `npm run
// build` (or `npm run dev`, which builds and serves).
import { existsSync } from "node:fs";

const entry = new URL("../dist/src/daemon/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("enforcer: not built yet (no dist/): run `npm run build` in the source directory\n");
  process.exit(1);
}
await import(entry.href);
