#!/usr/bin/env -S node --max-semi-space-size=1
// The enforcer binary: runs the compiled entry point (npm run build makes dist/). The V8 flag above keeps
// the young generation at 1 MiB per semi-space instead of growing to 16: about 15 MiB less resident memory
// for a few percent of throughput (docs/footprint.md). It applies when this file runs as a program (the
// installed `enforcer`, the service, the container); `node bin/enforcer.js` runs without it.
import "../dist/src/daemon/main.js";
