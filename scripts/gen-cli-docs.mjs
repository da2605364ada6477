// Writes docs/cli.md from the program itself (npm run docs:cli); test/cli-reference.test.ts compares.
import { cliReference } from "../dist/src/cli/reference.js";
import { enforcerProgram } from "../dist/src/daemon/program.js";

// What a command's options cannot say: how it behaves where a user would otherwise be surprised.
const notes = {
  "configs arm":
    "With `--wait` on a terminal it redraws one progress line with a running clock; anywhere else (a pipe, a " +
    "log, a CI job) it prints one plain line per state (`config ID on MAC: armed`, `triggered`, `completed`), " +
    "never `\\r` or escape codes.",
  "commands reboot":
    "Every agent that reaches a machine takes a command at once: Serf and Consul when it is queued, " +
    "Enforcer's JSON agent in its open long poll. A reboot still queued after `--wait` seconds has no agent: " +
    "the command says so on stderr and exits 7. The command stays queued, and the first agent to reach the " +
    "machine later delivers it (the machine reboots then); to reboot it now, do it by hand or give it power " +
    "control (`enforcer power set`). A machine with power control that no agent reaches (or first, with " +
    "`--reboot-order power,agent`) is rebooted through its BMC: `pxe-once` then `cycle` (Wake-on-LAN: `on`), " +
    "and the command's agent is `power:<driver>`. A delivery reported as failed (or timed out) within the " +
    "wait exits 1, with the BMC's words.",
  "power set":
    "The password is never an option (other users see a command line in `ps`, and shells keep it): " +
    "`--password-file F` reads it from a file, `--password-file -` from standard input, one trailing newline " +
    "stripped. Without it the stored password is kept when driver, address, user and (Redfish) the pinned fingerprint are unchanged. What " +
    "each driver needs: [power.md](power.md).",
  "power show": "It shows whether a password is stored (`stored (encrypted)` or `none`), never the password.",
  "power cycle":
    "Each action prints the outcome with the BMC's own words (`bmc said`). A BMC's failure prints its " +
    "message and code and exits 1 (`ENF_ERR_POWER_AUTH`, `_UNREACHABLE`, `_TIMEOUT`, … and `_BUSY` when 4 " +
    "actions already wait); an action the driver cannot do (Wake-on-LAN only powers on) exits 5.",
  export:
    "The file holds the profiles, remotes, discovery and the machines an operator registered, named or " +
    "labelled: the setup, which `apply` makes again. Machines that only booted or that an agent reported are " +
    "state, not setup: they are left out, stderr says how many, and `--all` includes them (as bare MACs, " +
    "which `apply` registers). The file's format: [export-format.md](export-format.md).",
  serve:
    "Its options are the settings: each a flag, an `ENFORCER_*` variable or a key of `--config FILE`. " +
    "All of them: [settings.md](settings.md), or `enforcer serve --help`.",
};
process.stdout.write(cliReference(enforcerProgram(), notes));
