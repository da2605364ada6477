#!/usr/bin/env node
// The enforcer binary: runs the compiled CLI (npm run build makes dist/).
import "../dist/src/cli/main.js";
