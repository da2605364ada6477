// Writes docs/cli.md from the program itself (npm run docs:cli); test/cli-reference.test.ts compares.
import { cliReference } from "../dist/src/cli/reference.js";
import { enforcerProgram } from "../dist/src/daemon/program.js";

const notes = {
  serve:
    "Its options are the settings: each a flag, an `ENFORCER_*` variable or a key of `--config FILE`. " +
    "See [Settings](../README.md#settings) in the README, or `enforcer serve --help`.",
};
process.stdout.write(cliReference(enforcerProgram(), notes));
