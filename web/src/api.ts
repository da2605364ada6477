import { ApiError, EnforcerClient } from "../../src/client/api-client.js";

/** The shared typed client and its error and event types: the only way the web app reaches the server. */
export { ApiError, EnforcerClient };
export type { BootTimeline, Conflict, StreamEvent, TimelineAttempt } from "../../src/client/api-client.js";
export type { PowerAction, PowerInput, PowerOutcome, PowerView } from "../../src/client/api-client.js";

/** A JSON object as the API returns it. */
export type Json = Record<string, unknown>;

/** What an API error means to a person at the rack, by code; the server's own message follows it. */
const IN_WORDS: Record<string, string> = {
  ENF_ERR_AUTH_INVALID:
    "That token was not accepted. Check that it was copied whole and has not been revoked.",
  ENF_ERR_AUTH_MISSING: "Sign in with a token first.",
  ENF_ERR_AUTH_RATE_LIMITED:
    "Too many wrong tokens came from this address. Wait a minute, then try again with the right one.",
  ENF_ERR_AUTH_FORBIDDEN: "Your token is not allowed to do this.",
  ENF_ERR_CLIENT_UNREACHABLE:
    "Enforcer cannot be reached. Check that the server is running and the network is up.",
  ENF_ERR_CLIENT_BAD_ANSWER: "Enforcer answered with something this page cannot read.",
  ENF_ERR_HTTP_VALIDATION: "Some of what you entered is not in the form Enforcer expects.",
  ENF_ERR_MAC_INVALID: "That is not a MAC address Enforcer understands (for example 52:54:00:12:34:56).",
  ENF_ERR_HOSTNAME_INVALID: "That host name is not valid: letters, digits and hyphens, separated by dots.",
  ENF_ERR_LABEL_INVALID: "A label key or value has characters or a length that is not allowed.",
  ENF_ERR_MACHINE_NOT_FOUND: "Enforcer does not know that machine (it may have been forgotten).",
  ENF_ERR_MACHINE_BUSY: "The machine is busy with a config; cancel the config first.",
  ENF_ERR_PROFILE_NOT_FOUND: "There is no profile with that name.",
  ENF_ERR_ASSET_FETCH: "The file could not be downloaded from its mirror; nothing was armed or kept.",
  ENF_ERR_ASSET_CHECKSUM:
    "The downloaded file is not the one expected (its sha256 differs); it was not kept.",
  ENF_ERR_ASSET_TOO_LARGE: "The file does not fit in the asset cache (--asset-cache-size).",
  ENF_ERR_ASSET_IN_USE: "An armed config boots this file; it can be removed once that config is done.",
  ENF_ERR_ASSET_DISABLED: "The asset cache is off (--asset-cache-size 0).",
  ENF_ERR_PROFILE_EXISTS: "A profile with that name already exists: pick another name or edit that one.",
  ENF_ERR_PROFILE_INVALID:
    "The profile is missing something its OS family needs, or has a field it cannot use.",
  ENF_ERR_PROFILE_IN_USE: "A config that is still draft, armed or booting uses this profile.",
  ENF_ERR_CONFIG_ALREADY_ARMED: "This machine already has an armed config. Cancel that one first.",
  ENF_ERR_CONFIG_TRANSITION: "The config is no longer in a state that allows this.",
  ENF_ERR_TEMPLATE_INVALID: "A template in the profile cannot be read.",
  ENF_ERR_TEMPLATE_VARIABLE_MISSING:
    "A template needs a variable that neither the config nor the machine's facts have.",
  ENF_ERR_IPXE_UNSAFE_VALUE: "A value would change the meaning of the boot script, so it was refused.",
  ENF_ERR_PROVISIONING_UNSAFE_VALUE:
    "A value would change the provisioning file's meaning (a line, key or command), so it was refused.",
  ENF_ERR_PROVISIONING_INVALID: "The rendered provisioning file is not valid JSON or YAML.",
  ENF_ERR_TOKEN_LAST_ADMIN: "This is the last admin token; create another admin token before revoking it.",
  ENF_ERR_CONFLICT_NOT_FOUND: "That identity conflict no longer exists (a merge may have settled it).",
  ENF_ERR_CONFLICT_RESOLVED: "Someone already settled this identity conflict.",
  ENF_ERR_CONFLICT_MERGE_REFUSED:
    "The other machine is known only from anonymous boots: forget it instead, and this machine's next report takes its MACs.",
  ENF_ERR_POWER_INVALID:
    "Some power control setting is not in the form Enforcer expects; the detail names it.",
  ENF_ERR_POWER_NOT_SET: "This machine has no power control set.",
  ENF_ERR_POWER_UNSUPPORTED: "This machine's power driver cannot do that (Wake-on-LAN can only power on).",
  ENF_ERR_POWER_AUTH: "The BMC refused the stored user name or password.",
  ENF_ERR_POWER_UNREACHABLE: "The BMC cannot be reached: check its address and that it is on the network.",
  ENF_ERR_POWER_TIMEOUT: "The BMC did not answer within the power timeout (--power-timeout).",
  ENF_ERR_POWER_BAD_ANSWER: "The BMC answered with something that is not its protocol.",
  ENF_ERR_POWER_REFUSED: "The BMC understood and refused; its own words say why.",
  ENF_ERR_POWER_TLS: "The BMC's certificate is not trusted: set its TLS fingerprint, or check the one set.",
  ENF_ERR_POWER_BUSY: "Too many power actions are waiting for this machine; try again when they are done.",
  ENF_ERR_POWER_KEY:
    "The stored BMC password cannot be opened with this server's power.key: set the password again.",
  ENF_ERR_POWER_TOOL_MISSING: "The server lacks the program this driver runs (ipmitool): install it there.",
  ENF_ERR_STORE_IO: "Enforcer cannot write its data directory right now; nothing was changed.",
  ENF_ERR_STORE_UNAVAILABLE:
    "The store is unavailable: changes cannot be saved; machines keep booting from memory. Nothing was changed.",
  ENF_ERR_STORE_CONFLICT:
    "Someone changed this at the same moment (maybe on another Enforcer); look again and retry.",
};

/** One error as a sentence for people, then the server's detail and the code for whoever reads logs. */
export function inWords(err: unknown): { summary: string; detail: string; code: string } {
  if (err instanceof ApiError) {
    const summary = IN_WORDS[err.code] ?? "Enforcer refused this.";
    return { summary, detail: err.message, code: err.code };
  }
  return { summary: "Something went wrong in this page.", detail: String(err), code: "" };
}
