import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDiscoveryImage } from "../discovery/build.js";
import { isEnforcerError } from "../domain/errors.js";
import { serve } from "../daemon/serve.js";
import { apply, exportSetup } from "./commands/apply.js";
import { conflicts } from "./commands/conflicts.js";
import {
  commands,
  configs,
  events,
  machines,
  profiles,
  RESOURCE_OPTIONS,
  settings,
  tokens,
} from "./commands/resources.js";
import { cliContext, type CliContext } from "./context.js";
import { describeError, EXIT, UsageError } from "./output.js";

const USAGE = `usage: enforcer <command> [options]

server:
  serve                       run the boot server (HTTP, TFTP, API); see "enforcer serve --help"

client (talks to the API; --url or ENFORCER_URL, --token or ENFORCER_TOKEN, --json for scripts):
  machines [list|show|register|edit|forget|events]   e.g. machines list --label rack=r1 --state armed
  profiles [list|show|create -f F|replace N -f F|delete|preview NAME MAC]
  configs  [list|show|create MAC PROFILE [--var k=v]|arm ID [--wait]|cancel ID]
  commands [reboot MAC|list|show ID]
  conflicts [list [--machine MAC] [--all]|show ID|resolve ID --merge|--dismiss]   identity conflicts
  discovery [status|on [--discovery-url URL]|off]
  discovery build [--out DIR]                          build the discovery kernel + initramfs (Debian host)
  remotes  [list|set URL...]
  tokens   [list|create NAME ROLE [--machine MAC]|revoke ID]   roles: viewer, operator, admin, agent
  events   [--machine MAC] [--after N]                  follow the live event stream
  agent [--url URL] [--token TOKEN]                     run the agent on this host (an agent-role token)
  apply -f FILE [--dry-run]                             make the server match a YAML/JSON file
  export                                                the server's setup as YAML, for apply

exit codes: 0 ok, 1 failure, 2 usage or invalid input, 3 not authorised, 4 not found, 5 conflict,
6 server unreachable
`;

const SERVE_USAGE = `usage: enforcer serve [options]   (each also as ENFORCER_<NAME>, or in --config FILE)
  --data DIR  --http-port N  --listen ADDR  --public-url URL  --remote URL (repeatable)
  --retry-window SEC  --discovery | --no-discovery  --discovery-image DIR  --discovery-url URL  --log-level LEVEL
  --store-recover  --tftp-port N | --no-tftp  --tftp-root DIR  --tftp-max-blksize N
  --tftp-max-windowsize N  --tftp-max-transfers N  --boot-rate-limit N
  --serf HOST:PORT (repeatable)  --serf-auth KEY  --consul URL  --consul-token T  --agent-interval SEC
`;

const CLIENT: Record<string, (ctx: CliContext) => Promise<void>> = {
  machines,
  profiles,
  configs,
  commands,
  conflicts,
  tokens,
  events,
  discovery: (ctx) => settings(ctx, "discovery"),
  remotes: (ctx) => settings(ctx, "remotes"),
  apply,
  export: exportSetup,
};

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === "serve") {
    if (rest.includes("--help") || rest.includes("-h")) return void process.stdout.write(SERVE_USAGE);
    return serve(rest);
  }
  if (command === "discovery" && rest[0] === "build") {
    const out = resolve(rest[2] && rest[1] === "--out" ? rest[2] : "data/discovery");
    const image = buildDiscoveryImage(out, (step) => process.stderr.write(`${step}\n`));
    return void process.stdout.write(
      `discovery image: ${image.kernel} ${image.initrd}\nserve it with: enforcer serve --discovery --discovery-image ${out}\n`,
    );
  }
  if (command === "agent") return runShellAgent(rest);
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    return void process.stdout.write(USAGE);
  }
  const run = CLIENT[command];
  if (!run) {
    process.stderr.write(`enforcer: unknown command "${command}"\n${USAGE}`);
    process.exit(EXIT.usage);
  }
  await run(cliContext(rest, { ...RESOURCE_OPTIONS, "dry-run": { type: "boolean" } }, process.env));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (isEnforcerError(err)) {
    process.stderr.write(`enforcer: ${err.message} [${err.code}]\n`);
    process.exit(
      err.code === "ENF_ERR_SETTINGS_INVALID" || err.code === "ENF_ERR_SETTINGS_FILE"
        ? EXIT.usage
        : EXIT.failure,
    );
  }
  const { code, line } = describeError(err);
  process.stderr.write(`${line}\n`);
  process.exit(code);
});

/** `enforcer agent`: runs the shipped POSIX agent (on-machine/shell/enforcer-agent.sh) against this Enforcer. */
function runShellAgent(argv: string[]): Promise<void> {
  const ctx = cliContext(argv, {}, process.env);
  const token = (ctx.flags.token as string | undefined) ?? process.env.ENFORCER_TOKEN;
  if (!token) throw new UsageError("enforcer agent needs an agent token: --token or ENFORCER_TOKEN");
  const script = fileURLToPath(new URL("../../../on-machine/shell/enforcer-agent.sh", import.meta.url));
  const child = spawn("sh", [script], {
    stdio: "inherit",
    env: { ...process.env, ENFORCER_URL: ctx.client.baseUrl, ENFORCER_KEY: token },
  });
  process.once("SIGTERM", () => child.kill("SIGTERM"));
  process.once("SIGINT", () => child.kill("SIGINT"));
  return new Promise((res) => child.on("exit", (code) => ((process.exitCode = code ?? 1), res())));
}
