import type { BootSpec } from "./boot-spec.js";
import type { Mac } from "./mac.js";

/** How a machine that should run discovery gets there: the configured script, or Enforcer's own image. */
export type DiscoveryBoot = { kind: "chain"; url: string; mac: Mac } | { kind: "image"; spec: BootSpec };

/**
 * What the core decided a machine's request gets: its armed config, a discovery boot, or nothing (the
 * general script falls through). Protocols render it; the core never writes a script.
 */
export type BootDecision =
  | { kind: "config"; config: string; spec: BootSpec }
  | { kind: "discovery"; boot: DiscoveryBoot }
  | { kind: "none"; reason: "no-config" | "window-passed" };

/** Where the general script looks, in order, before it gives up and boots the local disk. */
export interface GeneralScriptInputs {
  /** This Enforcer's base URL as booting machines reach it, without a trailing slash. */
  self: string;
  /** Other Enforcer instances to ask, in order. */
  remotes: readonly string[];
}
