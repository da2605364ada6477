import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { POWER_ACTIONS, type PowerInput, type PowerView } from "../../client/api-client.js";
import { clientCommand, cliContext, resourceCommand, type CommonOptions } from "../context.js";
import { showFields, UsageError, type Field } from "../output.js";

type SetOptions = CommonOptions & {
  driver: string;
  address?: string;
  username?: string;
  passwordFile?: string;
  cipherSuite?: string;
  bootMode?: string;
  tlsFingerprint?: string;
  systemId?: string;
};

/** A password file larger than this is not a password (the longest a driver takes is 128 bytes). */
const PASSWORD_FILE_MAX = 1024;

/** What each action does, for the help text. */
const ACTION_HELP: Record<(typeof POWER_ACTIONS)[number], string> = {
  on: "power the machine on",
  off: "power the machine off (hard)",
  cycle: "hard reset a running machine, or power on one that is off",
  status: "ask the BMC whether the machine is on",
  "pxe-once": "make the machine's next boot a network boot (does not change its power)",
};

/** `enforcer power set|show|remove|on|off|cycle|status|pxe-once` (docs/power.md). */
export function registerPower(program: Command): void {
  const power = resourceCommand(
    program,
    "power",
    "a machine's power control through its BMC (IPMI, Redfish) or Wake-on-LAN",
  );
  clientCommand(power, "set <MAC>", "set a machine's power control (admin); the password only from a file")
    .requiredOption("--driver <driver>", "ipmi, redfish or wol")
    .option("--address <host[:port]>", "the BMC (ipmi, redfish) or the broadcast address (wol)")
    .option("--username <user>", "the BMC user")
    .option("--password-file <file>", "a file holding the BMC password, or - for standard input")
    .option("--cipher-suite <n>", "IPMI lanplus cipher suite, 0-17 (default 3)")
    .option("--boot-mode <mode>", "uefi or legacy: which firmware pxe-once asks for")
    .option("--tls-fingerprint <hex>", "Redfish: the SHA-256 of the BMC's self-signed certificate")
    .option("--system-id <id>", "Redfish: the ComputerSystem id, when the BMC has several")
    .action(async (mac: string, o: SetOptions) => {
      const ctx = cliContext(o);
      const v = await ctx.client.power.set(mac, powerInput(o));
      showFields(ctx, v, powerFields(v));
    });
  clientCommand(power, "show <MAC>", "a machine's power control and last observed state (no secret)").action(
    async (mac: string, o: CommonOptions) => {
      const ctx = cliContext(o);
      const v = await ctx.client.power.get(mac);
      showFields(ctx, v, powerFields(v));
    },
  );
  clientCommand(power, "remove <MAC>", "remove a machine's power control and its stored password (admin)")
    .alias("rm")
    .action(async (mac: string, o: CommonOptions) => {
      const ctx = cliContext(o);
      await ctx.client.power.remove(mac);
      ctx.out(`removed the power control of ${mac}\n`);
    });
  for (const action of POWER_ACTIONS) {
    clientCommand(power, `${action} <MAC>`, `${ACTION_HELP[action]} (operator)`).action(
      async (mac: string, o: CommonOptions) => {
        const ctx = cliContext(o);
        const r = await ctx.client.power.act(mac, action);
        showFields(ctx, r, [
          ["machine", r.machine],
          ["action", r.action],
          ["driver", r.driver],
          ["state", r.state],
          ["bmc said", r.detail],
          ["at", r.at],
        ]);
      },
    );
  }
}

/** The PUT body from the flags; only what was given, so the server's rules decide the rest. */
function powerInput(o: SetOptions): PowerInput {
  if (!["ipmi", "redfish", "wol"].includes(o.driver))
    throw new UsageError(`--driver must be ipmi, redfish or wol, got "${o.driver}"`);
  const input: PowerInput = { driver: o.driver as PowerInput["driver"] };
  if (o.address !== undefined) input.address = o.address;
  if (o.username !== undefined) input.username = o.username;
  if (o.passwordFile !== undefined) input.password = readPassword(o.passwordFile);
  if (o.cipherSuite !== undefined) {
    if (!/^\d{1,2}$/.test(o.cipherSuite))
      throw new UsageError(`--cipher-suite must be a number 0-17, got "${o.cipherSuite}"`);
    input.cipherSuite = Number(o.cipherSuite);
  }
  if (o.bootMode !== undefined) {
    if (o.bootMode !== "uefi" && o.bootMode !== "legacy")
      throw new UsageError(`--boot-mode must be uefi or legacy, got "${o.bootMode}"`);
    input.bootMode = o.bootMode;
  }
  if (o.tlsFingerprint !== undefined) input.tlsFingerprint = o.tlsFingerprint;
  if (o.systemId !== undefined) input.systemId = o.systemId;
  return input;
}

/**
 * The password from a file or standard input, without the one newline an editor or `echo` ends it with. A
 * password never comes from the command line: other users see it in `ps` and it stays in the shell history.
 */
function readPassword(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file === "-" ? 0 : file);
  } catch (err) {
    throw new UsageError(`cannot read the password file ${file}: ${(err as Error).message.split("\n")[0]}`);
  }
  if (bytes.length > PASSWORD_FILE_MAX)
    throw new UsageError(
      `${file} holds ${bytes.length} bytes: not a password file (at most ${PASSWORD_FILE_MAX})`,
    );
  const text = bytes.toString("utf8").replace(/\r?\n$/, "");
  if (text === "") throw new UsageError(`the password file ${file} is empty`);
  return text;
}

/** A machine's power control as a person reads it: never a secret, only whether one is stored. */
function powerFields(v: PowerView): Field[] {
  return [
    ["machine", v.machine],
    ["driver", v.driver],
    ["address", v.address],
    ["username", v.username],
    ["password", v.hasPassword ? "stored (encrypted)" : "none"],
    ["cipher suite", v.cipherSuite],
    ["boot mode", v.bootMode],
    ["tls fingerprint", v.tlsFingerprint],
    ["system id", v.systemId],
    ["state", v.state?.state],
    ["observed", v.state?.at],
    ["error", v.state?.error ? `${v.state.error.message} [${v.state.error.code}]` : undefined],
    ["updated", v.updatedAt],
  ];
}
