import { isEnforcerError } from "../domain/errors.js";

// The process entry (bin/enforcer.js): the composition root for the one binary. It routes `serve` to the
// daemon and `discovery build` to discovery/ (program.ts), and hands every other command to cli/, which talks
// to the API through client/ only. Each is imported only when it runs: a server need not hold the client's
// commands in memory, nor a client command the server (docs/footprint.md).

const argv = process.argv.slice(2);
try {
  // `serve` (not its --help) goes straight to the daemon, which parses its own options (config/).
  if (argv[0] === "serve" && !argv.some((a) => a === "--help" || a === "-h")) {
    const { serve } = await import("./serve.js");
    await serve(argv.slice(1));
  } else {
    // `enforcer profiles preview … | head`: the reader left, and the next write threw EPIPE as a stack trace.
    // Stop quietly, as other command line tools do.
    for (const stream of [process.stdout, process.stderr])
      stream.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code !== "EPIPE") throw e;
        process.exit(0);
      });
    const { enforcerProgram } = await import("./program.js");
    const program = enforcerProgram();
    // No command at all: the overview on stdout, as `enforcer --help` gives it.
    if (argv.length === 0) program.outputHelp();
    else await program.parseAsync(argv, { from: "user" });
  }
} catch (err) {
  if (isEnforcerError(err)) {
    // Settings errors from `serve` are the user's input: usage (2), like the client's.
    process.stderr.write(`enforcer: ${err.message} [${err.code}]\n`);
    process.exit(err.code === "ENF_ERR_SETTINGS_INVALID" || err.code === "ENF_ERR_SETTINGS_FILE" ? 2 : 1);
  }
  const { exitCodeFor } = await import("../cli/program.js");
  process.exit(exitCodeFor(err));
}
