import { isLoader, stepLabel, type BootAttempt, type TimelineStep } from "./boot-timeline.js";
import { LOCAL_DISK_BOOT_FILE } from "./dhcp-client.js";

/** How an attempt ended, as far as this server saw it. */
export type AttemptOutcome =
  /** Still moving: its last step is recent and not an end. */
  | "in-progress"
  /** The config's completion callback came. */
  | "provisioned"
  /** The machine script served an armed config (provisioning under way or silent since). */
  | "config-served"
  /** The machine script served the discovery image. */
  | "discovery"
  /** Nothing here for it: the general script went on to the remotes and the local disk (normal for a known machine). */
  | "fell-through"
  /** It stopped at a step that went wrong: see the hint. */
  | "stopped";

/** The known traps, each a hint code. */
export type HintCode =
  | "proxy-offer-ignored"
  | "script-url-ignored"
  | "loader-loop"
  | "loader-no-script"
  | "tftp-stall"
  | "client-gave-up"
  | "file-not-found"
  | "refused"
  | "dhcp-no-answer"
  | "machine-script-not-asked"
  | "fell-through"
  | "retry-window-passed"
  | "rate-limited"
  | "server-error";

/** The diagnosis of one attempt: its outcome, the step where it stopped and a hint for the trap it fell in. */
export interface AttemptDiagnosis {
  outcome: AttemptOutcome;
  /** Index into the attempt's steps. */
  stopIndex?: number;
  stop?: string;
  hint?: { code: HintCode; text: string };
}

/** How long a step may be the last before the attempt counts as stopped there (firmware retries within it). */
export const QUIET_MS = 30_000;

type Hint = { code: HintCode; text: string };

/**
 * The loader loop: a loader fetched twice in one attempt, or iPXE offered a loader after one was fetched. An
 * iPXE ROM offered a loader before any fetch is the `enforcer.dev/loader` label chaining Enforcer's own iPXE.
 */
function loaderLoop(steps: readonly TimelineStep[]): { index: number; hint: Hint } | undefined {
  let fetched = 0;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.kind === "dhcp" && s.client === "ipxe" && s.offered && isLoader(s.offered) && fetched > 0)
      return {
        index: i,
        hint: {
          code: "loader-loop",
          text: `iPXE was offered the loader ${s.offered} again: a DHCP answer that does not tell iPXE apart (option 175 / user class iPXE) makes it load itself in a loop; iPXE must get the boot.ipxe URL`,
        },
      };
    if (s.kind === "tftp" && s.outcome === "complete" && isLoader(s.file)) fetched += s.count;
    if (s.kind === "http" && s.what === "boot-file" && s.status < 300 && isLoader(s.path)) fetched += s.count;
    if (fetched >= 2)
      return {
        index: i,
        hint: {
          code: "loader-loop",
          text: `the loader was fetched ${fetched} times in one boot without a script in between: iPXE is handed the loader instead of the boot.ipxe URL (another proxyDHCP or the site's DHCP answering iPXE like firmware)`,
        },
      };
  }
  return undefined;
}

/** What a failed step says by itself, whatever follows. */
function failedStep(s: TimelineStep): Hint | undefined {
  // UEFI firmware sent to its disk was offered a name that does not exist, on purpose (dhcp-client.ts).
  if ((s.kind === "tftp" ? s.file : s.kind === "http" ? s.path : "").endsWith(LOCAL_DISK_BOOT_FILE))
    return undefined;
  if (s.kind === "tftp") {
    const of = s.size !== undefined ? ` of ${s.size} bytes` : "";
    if (s.outcome === "stalled")
      return {
        code: "tftp-stall",
        text: `the TFTP transfer of ${s.file} stalled at block ${s.lastBlock} (${s.bytes}${of} acknowledged, ${s.resent} resent): the client stopped acknowledging; try a smaller --tftp-max-blksize, another NIC driver (enforcer.dev/loader=snponly.efi) or check for packet loss`,
      };
    if (s.outcome === "gave-up")
      return {
        code: "client-gave-up",
        text: `the client gave up the transfer of ${s.file} at block ${s.lastBlock}${s.error ? ` (${s.error})` : ""}`,
      };
    if (s.outcome === "refused")
      return /not found|no such/i.test(s.error ?? "")
        ? {
            code: "file-not-found",
            text: `${s.file} is not in the boot files: put it in --tftp-root or fix the name the DHCP answer gave`,
          }
        : { code: "refused", text: `the TFTP request for ${s.file} was refused: ${s.error ?? "?"}` };
    if (s.outcome === "error")
      return { code: "server-error", text: `the transfer of ${s.file} ended: ${s.error ?? "?"}` };
  }
  if (s.kind === "http") {
    if (s.status === 429)
      return {
        code: "rate-limited",
        text: `${s.path} was refused: too many requests from this address (--boot-rate-limit)`,
      };
    if (s.status >= 500)
      return { code: "server-error", text: `${s.path} failed on the server (${s.status})` };
    if (s.status === 404 && s.what !== "machine-script" && s.what !== "discovery-script")
      return { code: "file-not-found", text: `${s.path} was not found (404)` };
  }
  return undefined;
}

/** What the last step means when nothing came after it for QUIET_MS. */
function silentAfter(s: TimelineStep): Hint | undefined {
  switch (s.kind) {
    case "dhcp":
      if (s.skip)
        return {
          code: "dhcp-no-answer",
          text: `no DHCP answer from Enforcer: ${s.skipDetail ?? s.skip}`,
        };
      if (s.client === "ipxe")
        return {
          code: "script-url-ignored",
          text: `iPXE was told to chain ${s.offered ?? "the script"} but never asked for it: can iPXE reach that URL (route, firewall)?`,
        };
      return {
        code: "proxy-offer-ignored",
        text: `the firmware got the offer of ${s.offered ?? "a boot file"} but never fetched it: another DHCP server's boot file may win, or the firmware ignores proxy offers (check option 60 PXEClient, 43, port 4011)`,
      };
    case "tftp":
      if (s.file === "boot.ipxe")
        return {
          code: "machine-script-not-asked",
          text: "iPXE ran boot.ipxe but never asked for its machine script: can it reach the HTTP URL (public URL, route, firewall)?",
        };
      if (s.outcome === "complete" && isLoader(s.file))
        return {
          code: "loader-no-script",
          text: `the loader ${s.file} was sent but iPXE never asked for a script: it may hang on this NIC (try enforcer.dev/loader=snponly.efi or ipxe.efi) or get no DHCP answer of its own`,
        };
      if (s.outcome === "size-probe")
        return {
          code: "client-gave-up",
          text: `the client asked the size of ${s.file} and never fetched it`,
        };
      return undefined;
    case "http":
      if (s.what === "boot-script")
        return {
          code: "machine-script-not-asked",
          text: "iPXE fetched boot.ipxe but never asked for its machine script: the script's own chain failed (the URL iPXE uses may not reach this server)",
        };
      return undefined;
    case "provision":
      return undefined;
  }
}

/** The hints that name no step's details: one object each, not one per diagnosis. */
const WINDOW_PASSED: Hint = {
  code: "retry-window-passed",
  text: "the armed config was already fetched and its retry window has passed: arm it again (or retry) to boot it once more",
};
const FELL_THROUGH: Hint = {
  code: "fell-through",
  text: "every source fell through: nothing is armed for this machine here, the general script then asked the remotes and booted the local disk; arm a config to provision it",
};

/** The diagnosis that names the step at `index` (built without a closure or spread: it runs for every step). */
function stopAt(
  steps: readonly TimelineStep[],
  index: number,
  outcome: AttemptOutcome,
  hint?: Hint,
): AttemptDiagnosis {
  const d: AttemptDiagnosis = { outcome, stopIndex: index, stop: stepLabel(steps[index]!) };
  if (hint) d.hint = hint;
  return d;
}

/**
 * Names where an attempt stopped and why. `now` decides whether a silent last step is a stop or simply the
 * latest news. The rules, in order: a loader loop anywhere; a completed provisioning; a failed step (the last
 * one that failed); the machine script's decision; a last step nothing followed.
 */
export function diagnoseAttempt(a: BootAttempt, now: number): AttemptDiagnosis {
  const steps = a.steps;
  if (steps.length === 0) return { outcome: "in-progress" };
  const loop = loaderLoop(steps);
  if (loop) return stopAt(steps, loop.index, "stopped", loop.hint);
  const lastIndex = steps.length - 1;
  const last = steps[lastIndex]!;
  for (let i = lastIndex; i >= 0; i--) {
    const s = steps[i]!;
    if (s.kind === "provision" && s.event === "config.completed") return stopAt(steps, i, "provisioned");
  }
  // A failure counts when nothing after it got further (a size probe before the real fetch, or a retried
  // request that then worked, is not where the boot stopped).
  const failed = failedStep(last);
  if (failed) return stopAt(steps, lastIndex, "stopped", failed);
  for (let i = lastIndex; i >= 0; i--) {
    const s = steps[i]!;
    if (s.kind !== "http" || (s.what !== "machine-script" && s.what !== "discovery-script")) continue;
    if (s.decision === "config") return stopAt(steps, i, "config-served");
    if (s.decision === "discovery") return stopAt(steps, i, "discovery");
    if (s.status === 404 && s.reason === "window-passed")
      return stopAt(steps, i, "fell-through", WINDOW_PASSED);
    if (s.status === 404) return stopAt(steps, i, "fell-through", FELL_THROUGH);
    if (s.status === 200) return stopAt(steps, i, "config-served");
  }
  if (now - (last.lastAt ?? last.at) < QUIET_MS) return { outcome: "in-progress" };
  const silent = silentAfter(last);
  return silent ? stopAt(steps, lastIndex, "stopped", silent) : stopAt(steps, lastIndex, "in-progress");
}
