import { EnforcerError, isEnforcerError, type ErrorCode } from "../domain/errors.js";
import type { PowerAction } from "../domain/power.js";
import { WITHHELD_WORDS, type PowerDriver, type PowerResult, type PowerTarget } from "./power-port.js";

/** Longest BMC message kept in an error, an event or a state record. */
const MAX_WORDS = 200;

/** The codes a driver may throw (src/core/power-port.ts); anything else is a driver bug. */
const DRIVER_CODES: ReadonlySet<string> = new Set([
  "ENF_ERR_POWER_AUTH",
  "ENF_ERR_POWER_UNREACHABLE",
  "ENF_ERR_POWER_TIMEOUT",
  "ENF_ERR_POWER_BAD_ANSWER",
  "ENF_ERR_POWER_REFUSED",
  "ENF_ERR_POWER_TLS",
  "ENF_ERR_POWER_TOOL_MISSING",
  "ENF_ERR_POWER_UNSUPPORTED",
  "ENF_ERR_POWER_KEY",
  // A setting the BMC shows wrong (Redfish: several systems and no systemId, or one it does not have): the
  // operator's to fix, a 400 with the driver's words, not a server error.
  "ENF_ERR_POWER_INVALID",
]);

/**
 * A BMC's words made safe to keep and show: control characters out, at most MAX_WORDS characters, and
 * withheld whole when they hold the password (should a BMC or a tool ever echo it), so no event, log line or
 * answer can carry it, nor tell where it stood.
 */
export function cleanWords(text: string, password?: string): string {
  let t = text;
  if (password && t.includes(password)) return WITHHELD_WORDS;
  t = t.replace(/[\x00-\x1f\x7f]+/g, " ").trim();
  // Also when the cleaning joined it up (a NUL inside it, say).
  if (password && t.includes(password)) return WITHHELD_WORDS;
  return t.length > MAX_WORDS ? `${t.slice(0, MAX_WORDS - 1)}…` : t;
}

/**
 * Runs one driver action with a deadline: the driver's signal aborts after `timeoutMs`, and should the
 * driver not end on it (a bug), the run ends anyway with ENF_ERR_POWER_TIMEOUT so nothing waits forever.
 * Every failure comes out as an EnforcerError with a power code and cleaned words.
 */
export async function runDriver(
  driver: PowerDriver,
  target: PowerTarget,
  action: PowerAction,
  timeoutMs: number,
  /** Aborts the run early: the server is stopping (no ipmitool child outlives it). */
  stop?: AbortSignal,
): Promise<PowerResult> {
  const ac = new AbortController();
  const onStop = (): void => ac.abort();
  stop?.addEventListener("abort", onStop);
  if (stop?.aborted) ac.abort();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      // Grace for the driver to end on its signal with its own words; then the core ends it.
      timer = setTimeout(
        () => reject(timeoutError(target.machine, action, timeoutMs)),
        Math.min(1000, timeoutMs),
      );
    }, timeoutMs);
  });
  try {
    const r = await Promise.race([driver.run(target, action, ac.signal), deadline]);
    return {
      ...(r.state ? { state: r.state } : {}),
      detail: cleanWords(String(r.detail ?? ""), target.password),
    };
  } catch (err) {
    throw normalise(err, target, action, timeoutMs, ac.signal.aborted);
  } finally {
    clearTimeout(timer);
    stop?.removeEventListener("abort", onStop);
  }
}

function timeoutError(machine: string, action: PowerAction, ms: number): EnforcerError {
  return new EnforcerError(
    "ENF_ERR_POWER_TIMEOUT",
    `the BMC of ${machine} did not finish ${action} within ${Math.round(ms / 1000)} s`,
    { machine, action },
  );
}

function normalise(
  err: unknown,
  target: PowerTarget,
  action: PowerAction,
  ms: number,
  aborted: boolean,
): EnforcerError {
  if (isEnforcerError(err) && DRIVER_CODES.has(err.code)) {
    return new EnforcerError(err.code, cleanWords(err.message, target.password), {
      machine: target.machine,
      action,
    });
  }
  if (aborted) return timeoutError(target.machine, action, ms);
  const code: ErrorCode = "ENF_ERR_SERVER_INTERNAL";
  const words = cleanWords(err instanceof Error ? err.message : String(err), target.password);
  return new EnforcerError(code, `the power driver failed on ${action}: ${words}`, {
    machine: target.machine,
    action,
  });
}
