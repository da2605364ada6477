import { EnforcerError, type ErrorCode } from "../../domain/errors.js";
import { probeIpmi, type ProbeResult } from "./ipmi-probe.js";
import { clean, endpointText, redact, type IpmiEndpoint } from "./ipmi-text.js";

/**
 * `err` with `secret` replaced in its message. Done last, on the message only: matching ipmitool's words
 * against a redacted text would miss them when a short password is a piece of a word.
 */
export function redacted(err: EnforcerError, secret: string | undefined): EnforcerError {
  const message = redact(err.message, secret);
  return message === err.message ? err : new EnforcerError(err.code, message, err.details);
}

// ipmitool -v marks some lines with "> "; and prints these on every run, success or not: noise in a message.
const CHATTER = [
  /^Loading IANA PEN Registry/,
  /^Running Get VSO Capabilities/,
  /^Discovered IPMB address/,
  // ipmitool's discovery probes (VSO, HPM.x) at start: an operator session may not ask for HPM.x.
  /^Get HPM\.x Capabilities request failed/,
  /^Invalid completion code received: (Invalid command|Insufficient privilege level)$/,
];

/** ipmitool's own lines from a failed run, less its chatter, one line each (redact them before showing). */
export function toolWords(stderr: string, stdout: string): string {
  const lines = `${stderr}\n${stdout}`
    .split(/\r?\n/)
    .map((l) => l.replace(/^[\s>]+/, "").trim())
    .filter((l) => l !== "" && !CHATTER.some((re) => re.test(l)));
  return clean(lines.join("; "));
}

const AUTH =
  /RAKP \d HMAC is invalid|unauthorized name|RAKP \d message indicates an error|Invalid user ?name|password/i;
const UNREACHABLE =
  /Address lookup for .* failed|Could not open socket|Network is unreachable|No route to host/i;
const PRIVILEGE = /Insufficient privilege level|unauthorized role or privilege/i;
// The BMC answered the session request and said no: a cipher suite or privilege it does not offer.
const SESSION_REFUSED =
  /Error in open session response message|no matching cipher suite|invalid authentication algorithm|Set Session Privilege Level to \w+ failed/i;
const NO_SESSION = /Unable to establish IPMI v2 \/ RMCP\+ session|Get Auth Capabilities error/i;

/** An EnforcerError with our words first, then the endpoint and the BMC's (or ipmitool's) own. */
export function powerError(code: ErrorCode, ours: string, e: IpmiEndpoint, words: string): EnforcerError {
  return new EnforcerError(
    code,
    words ? `${ours} (${endpointText(e)}): ${words}` : `${ours} (${endpointText(e)})`,
  );
}

/** How long the diagnosis probe waits for the BMC's port, after ipmitool failed without saying why. */
export const PROBE_WAIT_MS = 1000;

/**
 * Turns a failed ipmitool run into a coded error. ipmitool's words decide when they say what happened (a
 * refused login, a name that does not resolve, a command the BMC refused); when it only says it could not
 * open a session, one probe of the port tells a closed port, a silent one and one that answers junk apart.
 */
export async function ipmiFailure(
  e: IpmiEndpoint,
  words: string,
  signal: AbortSignal,
  probeWaitMs = PROBE_WAIT_MS,
): Promise<EnforcerError> {
  if (AUTH.test(words))
    return powerError("ENF_ERR_POWER_AUTH", "the BMC refused the user or password", e, words);
  if (UNREACHABLE.test(words))
    return powerError("ENF_ERR_POWER_UNREACHABLE", "the BMC cannot be reached", e, words);
  if (SESSION_REFUSED.test(words))
    return powerError(
      "ENF_ERR_POWER_REFUSED",
      "the BMC refused the session (cipher suite or privilege)",
      e,
      words,
    );
  if (!NO_SESSION.test(words)) return commandRefusal(e, words);
  const probe = await probeIpmi(e, probeWaitMs, signal);
  if (signal.aborted) return powerTimeout(e);
  const decided = probeError(e, probe, words);
  if (decided) return decided;
  if (probe.kind === "rmcp")
    return powerError("ENF_ERR_POWER_REFUSED", "the BMC answers IPMI but refused the session", e, words);
  return powerError("ENF_ERR_POWER_TIMEOUT", "the BMC did not answer", e, words);
}

/**
 * The error a probe proves on its own, whatever ipmitool would still try: nothing listens on the port, no
 * route to it, or it answers something that is not IPMI. Undefined for a silent port or a real BMC.
 */
export function probeError(e: IpmiEndpoint, probe: ProbeResult, words: string): EnforcerError | undefined {
  switch (probe.kind) {
    case "refused":
      return powerError(
        "ENF_ERR_POWER_UNREACHABLE",
        "nothing listens on the BMC's port (ICMP port unreachable)",
        e,
        words,
      );
    case "unreachable":
      return powerError(
        "ENF_ERR_POWER_UNREACHABLE",
        `the BMC cannot be reached (${clean(probe.words, 40)})`,
        e,
        words,
      );
    case "junk":
      return powerError(
        "ENF_ERR_POWER_BAD_ANSWER",
        "the BMC's port answers something that is not IPMI",
        e,
        probe.words,
      );
    default:
      return undefined;
  }
}

/**
 * The BMC took the session and refused the command, in its words; a user without operator privilege is an
 * AUTH error (the stored user is what must change), anything else REFUSED.
 */
export function commandRefusal(e: IpmiEndpoint, words: string): EnforcerError {
  if (PRIVILEGE.test(words))
    return powerError("ENF_ERR_POWER_AUTH", "the BMC user lacks operator privilege", e, words);
  return powerError("ENF_ERR_POWER_REFUSED", "the BMC refused the command", e, words);
}

/** The error of a run the core's signal ended. */
export function powerTimeout(e: IpmiEndpoint): EnforcerError {
  return powerError("ENF_ERR_POWER_TIMEOUT", "the BMC did not answer within the power timeout", e, "");
}
