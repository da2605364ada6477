import { exitCodeFor } from "../cli/program.js";
import { isEnforcerError } from "../domain/errors.js";
import { enforcerProgram } from "./program.js";

// The process entry (bin/enforcer.js): the composition root for the one binary. It routes `serve` to the
// daemon and `discovery build` to discovery/ (program.ts), and hands every other command to cli/, which talks
// to the API through client/ only.

const program = enforcerProgram();
const argv = process.argv.slice(2);
try {
  // No command at all: the overview on stdout, as `enforcer --help` gives it.
  if (argv.length === 0) program.outputHelp();
  else await program.parseAsync(argv, { from: "user" });
} catch (err) {
  if (isEnforcerError(err)) {
    // Settings errors from `serve` are the user's input: usage (2), like the client's.
    process.stderr.write(`enforcer: ${err.message} [${err.code}]\n`);
    process.exit(err.code === "ENF_ERR_SETTINGS_INVALID" || err.code === "ENF_ERR_SETTINGS_FILE" ? 2 : 1);
  }
  process.exit(exitCodeFor(err));
}
