import { isEnforcerError } from "../domain/errors.js";
import { serve } from "../daemon/serve.js";

const USAGE = `usage: enforcer <command> [options]

commands:
  serve     run the boot server (HTTP boot endpoints and the API)
  help      show this text

serve options (each also as ENFORCER_<NAME>, or in a YAML/JSON file given with --config FILE):
  --data DIR            data directory (default ./data)
  --http-port N         HTTP port (default 8080)
  --listen ADDR         listen address (default 0.0.0.0)
  --public-url URL      URL booting machines use (default: detected, printed at start)
  --remote URL          another Enforcer to ask after this one (repeatable)
  --retry-window SEC    how long a triggered config may be fetched again (default 300)
  --discovery           boot unknown machines into discovery (--no-discovery to turn off)
  --discovery-url URL   iPXE script that boots the discovery image
  --log-level LEVEL     fatal|error|warn|info|debug|trace|silent (default info)
  --store-recover       move a damaged journal tail aside instead of refusing to start
`;

/** Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration. */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "serve":
      return serve(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`enforcer: unknown command "${command}"\n${USAGE}`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (isEnforcerError(err)) {
    process.stderr.write(`enforcer: ${err.message} [${err.code}]\n`);
    process.exit(err.code === "ENF_ERR_SETTINGS_INVALID" || err.code === "ENF_ERR_SETTINGS_FILE" ? 2 : 1);
  }
  process.stderr.write(`enforcer: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
