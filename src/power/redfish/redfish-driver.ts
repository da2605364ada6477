import type { PowerDriver, PowerResult, PowerTarget } from "../../core/power-port.js";
import { EnforcerError } from "../../domain/errors.js";
import type { PowerAction, PowerState } from "../../domain/power.js";
import { RedfishClient, REDFISH_LIMITS, type RedfishLimits } from "./redfish-client.js";
import {
  allowedBootTargets,
  allowedResetTypes,
  expectedState,
  powerStateOf,
  pxeOnceBoot,
  refusedAsUnsupported,
  resetCandidates,
  resetTarget,
} from "./redfish-reset.js";
import { bmcWords, isObject } from "./redfish-words.js";

/**
 * How long a ForceOff-then-On cycle waits for PowerState Off before it sends On anyway: short, so the On
 * still goes out within the core's power timeout (default 15 s) and the machine is not left off.
 */
const OFF_WAIT_MS = 5000;

/**
 * The Redfish driver: HTTPS to the BMC's Redfish service (default port 443), all five actions on one
 * ComputerSystem. Every action reads the service root, logs in (session or Basic), finds the system and
 * reads it, then acts; the session is deleted after. `limits` is for tests (the defaults are below the
 * core's power timeout).
 */
export function redfishDriver(o: { limits?: Partial<RedfishLimits> } = {}): PowerDriver {
  const limits = { ...REDFISH_LIMITS, ...o.limits };
  return {
    name: "redfish",
    actions: ["on", "off", "cycle", "status", "pxe-once"],
    async run(target, action, signal) {
      if (!URL.canParse(`https://${target.address}/`))
        // parsePowerInput lets no such address in; a record from elsewhere gets a coded error, not a crash.
        throw new EnforcerError(
          "ENF_ERR_POWER_UNREACHABLE",
          `the BMC address is not host[:port]: ${bmcWords(target.address)}`,
        );
      const client = new RedfishClient(target, signal, limits);
      try {
        return await runAction(client, target, action, signal);
      } finally {
        await client.close();
      }
    },
  };
}

async function runAction(
  client: RedfishClient,
  target: PowerTarget,
  action: PowerAction,
  signal: AbortSignal,
): Promise<PowerResult> {
  // The service root is readable without credentials (DSP0266): it says where sessions and systems are.
  const root = (await client.get("/redfish/v1/", "reading the service root")).body;
  if (!isObject(root))
    throw client.fail(
      "ENF_ERR_POWER_BAD_ANSWER",
      "reading the service root: the BMC's answer is not a Redfish service root",
    );
  await client.login(root);
  const uri = await findSystem(client, root, target.options.systemId);
  const read = await client.get(uri, "reading the system");
  const system = read.body;
  const state = powerStateOf(system);
  const shown = `PowerState ${bmcWords(String(isObject(system) ? (system.PowerState ?? "absent") : "absent"))}`;
  if (action === "status") return { state, detail: shown };
  if (action === "pxe-once") return pxeOnce(client, uri, system, read.etag, target);
  // On and off are what the operator wants to be true: one already true is not sent (iDRAC refuses an On
  // of a machine that is on with 409). A machine that is off is powered on by a cycle (the spec's "cycle
  // semantics"; a reset of an off machine fails or does nothing on many BMCs).
  if (action === "on" && state === "on") return { state, detail: `${shown} already; nothing sent` };
  if (action === "off" && state === "off") return { state, detail: `${shown} already; nothing sent` };
  const allowed = allowedResetTypes(system);
  const resetUri = resetTarget(system, uri);
  let sent: string;
  if (action === "cycle" && state === "off") sent = await reset(client, resetUri, "on", allowed);
  else if (action === "cycle") sent = await cycle(client, uri, resetUri, allowed, signal);
  else sent = await reset(client, resetUri, action, allowed);
  return { state: await stateAfter(client, uri, action), detail: `ResetType ${sent} accepted` };
}

/** The ComputerSystem's URI: `systemId` among the members of Systems, or the only member. */
async function findSystem(
  client: RedfishClient,
  root: Record<string, unknown>,
  systemId?: string,
): Promise<string> {
  const link = isObject(root.Systems) ? root.Systems["@odata.id"] : undefined;
  const collection = (
    await client.get(typeof link === "string" ? link : "/redfish/v1/Systems", "listing the systems")
  ).body;
  const members = isObject(collection) && Array.isArray(collection.Members) ? collection.Members : [];
  const uris = members
    .map((m) => (isObject(m) ? m["@odata.id"] : undefined))
    .filter((u): u is string => typeof u === "string");
  const idOf = (u: string) => u.replace(/\/+$/, "").split("/").pop() ?? u;
  const ids = uris.map(idOf);
  // The ids are the BMC's words: cut short like any (a hostile BMC could send megabytes of them).
  const seen = ids.length > 0 ? bmcWords(ids.join(", ")) : "none";
  if (systemId !== undefined) {
    const found = uris.find((u) => idOf(u) === systemId);
    if (found === undefined)
      throw client.fail(
        "ENF_ERR_POWER_INVALID",
        `the BMC has no system "${systemId}" (systems seen: ${seen})`,
      );
    return found;
  }
  if (uris.length === 1) return uris[0] as string;
  throw client.fail(
    "ENF_ERR_POWER_INVALID",
    uris.length === 0
      ? "the BMC lists no system under Systems"
      : `the BMC has several systems: set systemId to one of ${seen}`,
  );
}

/**
 * POSTs the first ResetType that works for `action`: of the types the BMC lists, or when it lists none,
 * each in turn while the BMC answers "not supported". The last refusal carries the BMC's message.
 */
async function reset(
  client: RedfishClient,
  uri: string,
  action: "on" | "off" | "cycle",
  allowed: string[] | undefined,
): Promise<string> {
  const candidates = resetCandidates(action, allowed);
  if (candidates.length === 0)
    throw client.fail(
      "ENF_ERR_POWER_REFUSED",
      `the BMC allows none of the ResetTypes for ${action} (${resetCandidates(action, undefined).join(", ")})`,
      `it allows ${(allowed ?? []).join(", ") || "none"}`,
    );
  for (const [i, type] of candidates.entries()) {
    try {
      await client.post(uri, { ResetType: type }, `ResetType ${type}`);
      return type;
    } catch (e) {
      const last = i === candidates.length - 1;
      if (
        last ||
        !(e instanceof EnforcerError) ||
        e.code !== "ENF_ERR_POWER_REFUSED" ||
        !refusedAsUnsupported(e.details.messageId)
      )
        throw e;
    }
  }
  throw new Error("unreachable");
}

/**
 * A hard reset: ForceRestart, else PowerCycle, else GracefulRestart; a BMC that has none of them (or
 * refuses them all as not supported) gets ForceOff, then On once its PowerState says Off.
 */
async function cycle(
  client: RedfishClient,
  systemUri: string,
  uri: string,
  allowed: string[] | undefined,
  signal: AbortSignal,
): Promise<string> {
  const offOn = resetCandidates("off", allowed).length > 0 && resetCandidates("on", allowed).length > 0;
  if (resetCandidates("cycle", allowed).length === 0 && !offOn)
    throw client.fail(
      "ENF_ERR_POWER_REFUSED",
      "the BMC allows none of the ResetTypes for cycle (ForceRestart, PowerCycle, GracefulRestart, or ForceOff then On)",
      `it allows ${(allowed ?? []).join(", ") || "none"}`,
    );
  try {
    return await reset(client, uri, "cycle", allowed);
  } catch (e) {
    const noneListed = resetCandidates("cycle", allowed).length === 0;
    const allRefused =
      e instanceof EnforcerError &&
      e.code === "ENF_ERR_POWER_REFUSED" &&
      refusedAsUnsupported(e.details.messageId);
    if (!noneListed && !allRefused) throw e;
    let off: string;
    try {
      off = await reset(client, uri, "off", allowed);
    } catch (offError) {
      // Nothing works: the first refusal says the most (why no restart type was taken).
      throw noneListed ? offError : e;
    }
    await waitForOff(client, systemUri, signal);
    const on = await reset(client, uri, "on", allowed);
    return `${off} then ${on}`;
  }
}

/** Polls PowerState until Off (a BMC may refuse On while the machine is still powering off). */
async function waitForOff(client: RedfishClient, systemUri: string, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + OFF_WAIT_MS;
  for (;;) {
    const { body } = await client.get(systemUri, "waiting for PowerState Off");
    if (isObject(body) && body.PowerState === "Off") return;
    if (Date.now() > deadline || signal.aborted) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The state after an action, when the BMC already shows the one it leads to (else unsaid). */
async function stateAfter(
  client: RedfishClient,
  uri: string,
  action: PowerAction,
): Promise<PowerState | undefined> {
  const { body } = await client.get(uri, "reading the power state");
  const state = powerStateOf(body);
  return state === expectedState(action) ? state : undefined;
}

/** PATCHes a one-time PXE boot override (with If-Match when the system had an ETag). */
async function pxeOnce(
  client: RedfishClient,
  uri: string,
  system: unknown,
  etag: string | undefined,
  target: PowerTarget,
): Promise<PowerResult> {
  const targets = allowedBootTargets(system);
  if (targets !== undefined && !targets.includes("Pxe"))
    throw client.fail(
      "ENF_ERR_POWER_REFUSED",
      "the BMC does not list Pxe as a boot override target",
      `it lists ${targets.join(", ") || "none"}`,
    );
  const boot = pxeOnceBoot(system, target.options.bootMode);
  await client.patch(uri, { Boot: boot }, "setting the boot override", etag);
  const mode = boot.BootSourceOverrideMode ? ` (${boot.BootSourceOverrideMode})` : "";
  return { detail: `Boot override Pxe Once${mode} accepted` };
}
