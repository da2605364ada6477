import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { clientProgram } from "../cli/program.js";
import { serveUsage } from "../config/serve-usage.js";
import type { StoreCopyOptions } from "./store-copy.js";

/**
 * The whole `enforcer` program: the client's commands plus the server's own (`serve`, `discovery build`).
 * The entry point runs it; scripts/gen-cli-docs.mjs writes docs/cli.md from it.
 */
export function enforcerProgram(): Command {
  const { program, discovery } = clientProgram();
  // A bug report starts with the version; there was no way to ask for it (`--version` was an unknown option).
  program.version(packageVersion(), "-V, --version", "print the version of Enforcer");
  program
    .command("serve")
    .description("run the boot server (HTTP, TFTP, API)")
    // The daemon's settings parser (config/) owns serve's options, their ENFORCER_* names and --config.
    .allowUnknownOption()
    .allowExcessArguments()
    .configureHelp({ formatHelp: serveUsage })
    // Loaded when run: a client command (and docs:cli) then never loads the server's modules.
    .action(async (_opts: unknown, cmd: { args: string[] }) => (await import("./serve.js")).serve(cmd.args));
  program
    .command("store")
    .description("move Enforcer's data between stores (a data directory, etcd)")
    .command("copy")
    .description("copy every record from one store to another, then read the target back and compare")
    .requiredOption(
      "--from <store>",
      "the source: a data directory (as serve's --data) or etcd://host:2379[,host:2379…]",
    )
    .requiredOption(
      "--to <store>",
      "the target, named the same way; it must hold no Enforcer data unless --force",
    )
    .option("--force", "replace the Enforcer data the target holds (nothing else there is touched)")
    .option("--prefix <prefix>", "the etcd key prefix, as serve's --store-prefix", "/enforcer")
    .option("--etcd-ca <file>", "CA certificate (PEM) that signed etcd's, for https")
    .option("--etcd-cert <file>", "client certificate (PEM) for etcd")
    .option("--etcd-key <file>", "client key (PEM) for etcd")
    .option("--etcd-user <name>", "etcd user")
    .option("--etcd-password-file <file>", "file holding the etcd user's password")
    .action(async (o: StoreCopyOptions) => {
      const { storeCopy } = await import("./store-copy.js");
      await storeCopy(o, (line) => process.stdout.write(`${line}\n`));
    });
  discovery
    .command("build")
    .description("build the discovery kernel + initramfs (on a Debian host)")
    .option("--out <dir>", "where to put them", "data/discovery")
    .action(async (o: { out: string }) => {
      const out = resolve(o.out);
      const { buildDiscoveryImage } = await import("../discovery/build.js");
      const image = buildDiscoveryImage(out, (step) => process.stderr.write(`${step}\n`));
      process.stdout.write(
        `discovery image: ${image.kernel} ${image.initrd}\nserve it with: enforcer serve --discovery --discovery-image ${out}\n`,
      );
    });
  return program;
}

/** The version in the package.json beside dist/ (a clone, a global install and the container all have it). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return String(pkg.version ?? "unknown");
  } catch {
    return "unknown";
  }
}
