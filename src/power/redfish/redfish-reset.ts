import type { PowerAction, PowerState } from "../../domain/power.js";
import { isObject } from "./redfish-words.js";

/** The ResetTypes to try for an action, best first (the spec's "cycle semantics"). */
const WANTED: Record<"on" | "off" | "cycle", readonly string[]> = {
  on: ["On", "ForceOn"],
  off: ["ForceOff", "GracefulShutdown"],
  // A hard reset first: a hung machine ignores a graceful one.
  cycle: ["ForceRestart", "PowerCycle", "GracefulRestart"],
};

/**
 * The ResetTypes to try for `action`, best first: of the wanted ones, those the BMC lists in
 * `ResetType@Redfish.AllowableValues`, or all of them, in order, when it lists none (then a type the BMC
 * answers "not supported" moves on to the next). Empty when the BMC lists types and none of ours.
 */
export function resetCandidates(
  action: "on" | "off" | "cycle",
  allowed: readonly string[] | undefined,
): string[] {
  return WANTED[action].filter((t) => allowed === undefined || allowed.includes(t));
}

/** The BMC's `ResetType@Redfish.AllowableValues` of a ComputerSystem, or undefined when it lists none. */
export function allowedResetTypes(system: unknown): string[] | undefined {
  const action = resetAction(system);
  const list = action?.["ResetType@Redfish.AllowableValues"];
  return Array.isArray(list) ? list.filter((v): v is string => typeof v === "string") : undefined;
}

/** The system's `#ComputerSystem.Reset` target, else the URI DSP0266 gives it under the system. */
export function resetTarget(system: unknown, systemUri: string): string {
  const target = resetAction(system)?.target;
  return typeof target === "string"
    ? target
    : `${systemUri.replace(/\/+$/, "")}/Actions/ComputerSystem.Reset`;
}

/** Redfish's PowerState as ours: powering on or paused counts as on, powering off as off. */
export function powerStateOf(system: unknown): PowerState {
  const s = isObject(system) ? system.PowerState : undefined;
  if (s === "On" || s === "PoweringOn" || s === "Paused") return "on";
  if (s === "Off" || s === "PoweringOff") return "off";
  return "unknown";
}

/**
 * True when the BMC refused a ResetType as one it does not support (a Base registry message such as
 * `Base.1.8.1.ActionParameterNotSupported`, or iDRAC's `PropertyValueNotInList`): worth trying the next
 * type. Any other refusal (the machine is busy, a lock) ends the action with the BMC's message.
 */
export function refusedAsUnsupported(messageId: unknown): boolean {
  return (
    typeof messageId === "string" &&
    /(^|\.)(ActionParameterNotSupported|ActionParameterUnknown|ActionParameterValueNotInList|PropertyValueNotInList|ActionParameterValueError|ActionNotSupported)$/.test(
      messageId,
    )
  );
}

/** The Boot body of `pxe-once`: PXE, once, and the firmware mode when asked for and the BMC lists it. */
export function pxeOnceBoot(
  system: unknown,
  bootMode: "uefi" | "legacy" | undefined,
): Record<string, string> {
  const boot: Record<string, string> = { BootSourceOverrideTarget: "Pxe", BootSourceOverrideEnabled: "Once" };
  if (bootMode === undefined) return boot;
  const mode = bootMode === "uefi" ? "UEFI" : "Legacy";
  const listed =
    isObject(system) && isObject(system.Boot)
      ? system.Boot["BootSourceOverrideMode@Redfish.AllowableValues"]
      : undefined;
  // Only a mode the BMC lists: one that does not list modes may refuse the whole PATCH for the property.
  if (Array.isArray(listed) && listed.includes(mode)) boot.BootSourceOverrideMode = mode;
  return boot;
}

/** The Boot targets the BMC lists, or undefined when it lists none. */
export function allowedBootTargets(system: unknown): string[] | undefined {
  const boot = isObject(system) && isObject(system.Boot) ? system.Boot : undefined;
  const list = boot?.["BootSourceOverrideTarget@Redfish.AllowableValues"];
  return Array.isArray(list) ? list.filter((v): v is string => typeof v === "string") : undefined;
}

/** The state an action leaves a machine in, when it succeeds. */
export function expectedState(action: PowerAction): PowerState | undefined {
  return action === "off" ? "off" : action === "on" || action === "cycle" ? "on" : undefined;
}

function resetAction(system: unknown): Record<string, unknown> | undefined {
  const actions = isObject(system) && isObject(system.Actions) ? system.Actions : undefined;
  const reset = actions?.["#ComputerSystem.Reset"];
  return isObject(reset) ? reset : undefined;
}
