import { resolve } from "node:path";
import { isEnforcerError } from "../domain/errors.js";

// The process entry (bin/enforcer.js): the composition root for the one binary. It routes `serve` to the
// daemon and `discovery build` to discovery/, and hands every other command to cli/, which talks to the API
// through client/ only. Each is imported only when it runs: a server need not hold the client's commands in
// memory, nor a client command the server (docs/footprint.md).

const argv = process.argv.slice(2);
try {
  // `serve` (not its --help) goes straight to the daemon, which parses its own options (config/).
  if (argv[0] === "serve" && !argv.some((a) => a === "--help" || a === "-h")) {
    const { serve } = await import("./serve.js");
    await serve(argv.slice(1));
  } else await runProgram(argv);
} catch (err) {
  if (isEnforcerError(err)) {
    // Settings errors from `serve` are the user's input: usage (2), like the client's.
    process.stderr.write(`enforcer: ${err.message} [${err.code}]\n`);
    process.exit(err.code === "ENF_ERR_SETTINGS_INVALID" || err.code === "ENF_ERR_SETTINGS_FILE" ? 2 : 1);
  }
  const { exitCodeFor } = await import("../cli/program.js");
  process.exit(exitCodeFor(err));
}

/** Every command but a plain `serve`: commander's tree of the client's commands, `serve --help`, discovery. */
async function runProgram(argv: string[]): Promise<void> {
  const { clientProgram } = await import("../cli/program.js");
  const { serveUsage } = await import("../config/serve-usage.js");
  const { program, discovery } = clientProgram();
  program
    .command("serve")
    .description("run the boot server (HTTP, TFTP, API)")
    // The daemon's settings parser (config/) owns serve's options, their ENFORCER_* names and --config.
    .allowUnknownOption()
    .allowExcessArguments()
    .configureHelp({ formatHelp: serveUsage })
    .action(async (_opts: unknown, cmd: { args: string[] }) => (await import("./serve.js")).serve(cmd.args));
  discovery
    .command("build")
    .description("build the discovery kernel + initramfs (on a Debian host)")
    .option("--out <dir>", "where to put them", "data/discovery")
    .action(async (o: { out: string }) => {
      const { buildDiscoveryImage } = await import("../discovery/build.js");
      const out = resolve(o.out);
      const image = buildDiscoveryImage(out, (step) => process.stderr.write(`${step}\n`));
      process.stdout.write(
        `discovery image: ${image.kernel} ${image.initrd}\nserve it with: enforcer serve --discovery --discovery-image ${out}\n`,
      );
    });
  // No command at all: the overview on stdout, as `enforcer --help` gives it.
  if (argv.length === 0) program.outputHelp();
  else await program.parseAsync(argv, { from: "user" });
}
