#!/usr/bin/env node
// The enforcer binary: runs the compiled entry point (npm run build makes dist/).
import "../dist/src/daemon/main.js";
