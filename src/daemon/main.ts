import { resolve } from "node:path";
import { clientProgram, exitCodeFor } from "../cli/program.js";
import { serveUsage } from "../config/serve-usage.js";
import { buildDiscoveryImage } from "../discovery/build.js";
import { isEnforcerError } from "../domain/errors.js";
import { serve } from "./serve.js";

// The process entry (bin/enforcer.js): the composition root for the one binary. It routes `serve` to the
// daemon and `discovery build` to discovery/, and hands every other command to cli/, which talks to the API
// through client/ only.

const { program, discovery } = clientProgram();
program
  .command("serve")
  .description("run the boot server (HTTP, TFTP, API)")
  // The daemon's settings parser (config/) owns serve's options, their ENFORCER_* names and --config.
  .allowUnknownOption()
  .allowExcessArguments()
  .configureHelp({ formatHelp: serveUsage })
  .action((_opts: unknown, cmd: { args: string[] }) => serve(cmd.args));
discovery
  .command("build")
  .description("build the discovery kernel + initramfs (on a Debian host)")
  .option("--out <dir>", "where to put them", "data/discovery")
  .action((o: { out: string }) => {
    const out = resolve(o.out);
    const image = buildDiscoveryImage(out, (step) => process.stderr.write(`${step}\n`));
    process.stdout.write(
      `discovery image: ${image.kernel} ${image.initrd}\nserve it with: enforcer serve --discovery --discovery-image ${out}\n`,
    );
  });

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
