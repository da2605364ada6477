import { register } from "node:module";

// Preloaded with `node --import` by test/footprint.test.ts: records every file: module the server loads, to
// the file named by ENFORCER_MODULE_TRACE, so a test can tell the bundle from dist/src and see what a start skips.
register("./module-trace-hooks.js", import.meta.url);
