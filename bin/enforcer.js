#!/usr/bin/env -S node --max-semi-space-size=1
// The enforcer binary: runs the compiled entry point. `npm install` builds dist/ once (the `prepare` script) and
// a release package ships it: a start only runs node, it never compiles. After changing the source, `npm run
// build` (or `npm run dev`, which builds and serves).
// The V8 flag above keeps the young generation at 1 MiB per semi-space instead of growing to 16: about 15 MiB
// less resident memory for a few percent of throughput (docs/footprint.md). It applies when this file runs as a
// program (the installed `enforcer`, the service, the container); `node bin/enforcer.js` runs without it.
// The bundle (dist/bundle, scripts/bundle.mjs) is the same code in a handful of files instead of ~180 modules:
// a faster, smaller start. dist/src is the fallback, and is used when tsc has rebuilt it since the bundle.
import { existsSync, statSync } from "node:fs";

const bundle = new URL("../dist/bundle/enforcer.js", import.meta.url);
const modules = new URL("../dist/src/daemon/main.js", import.meta.url);
const fresh = (url) =>
  existsSync(url) && (!existsSync(modules) || statSync(url).mtimeMs >= statSync(modules).mtimeMs);
const entry = fresh(bundle) ? bundle : modules;
if (!existsSync(entry)) {
  process.stderr.write("enforcer: not built yet (no dist/): run `npm run build` in the source directory\n");
  process.exit(1);
}
await import(entry.href);
