import type { PowerAction, PowerDriverName, PowerOptions, PowerState } from "../domain/power.js";

/** One machine's power control, decrypted for one call: the password lives only as long as the call. */
export interface PowerTarget {
  machine: string;
  address: string;
  username?: string;
  password?: string;
  options: PowerOptions;
}

/** What a driver reports of an action: the state after it, if it could tell, and the BMC's own words. */
export interface PowerResult {
  state?: PowerState;
  detail: string;
}

/**
 * The port every power driver implements (src/power/ipmi, redfish, wol). A driver turns one action into its
 * protocol and the BMC's answer into a result; a failure is thrown as an EnforcerError with an
 * ENF_ERR_POWER_* code whose message carries the BMC's words (never the password). It must end when `signal`
 * aborts (the core's bounded timeout): kill its child process, drop its socket, and reject.
 */
export interface PowerDriver {
  readonly name: PowerDriverName;
  /** The actions it can do; Wake-on-LAN can only power on. */
  readonly actions: readonly PowerAction[];
  run(target: PowerTarget, action: PowerAction, signal: AbortSignal): Promise<PowerResult>;
}

/**
 * What a BMC's words become when they held the password: withheld whole. Masking the password in place
 * would give a short one away by where the mask stands ("pw=*** for admin").
 */
export const WITHHELD_WORDS = "(the answer is not shown: it held the password)";
