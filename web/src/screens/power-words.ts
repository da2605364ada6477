import type { PowerAction, PowerView } from "../api.js";

/** The drivers by name, as a person reads them. */
export const DRIVER_WORDS: Record<PowerView["driver"], string> = {
  ipmi: "IPMI (lanplus, ipmitool)",
  redfish: "Redfish (HTTPS)",
  wol: "Wake-on-LAN",
};

/**
 * What each driver can do, in the order the buttons show. The server refuses the rest
 * (ENF_ERR_POWER_UNSUPPORTED); the UI only avoids offering them. Wake-on-LAN can only wake a machine.
 */
export const DRIVER_ACTIONS: Record<PowerView["driver"], PowerAction[]> = {
  ipmi: ["on", "off", "cycle", "pxe-once", "status"],
  redfish: ["on", "off", "cycle", "pxe-once", "status"],
  wol: ["on"],
};

/** The buttons' words. */
export const ACTION_BUTTONS: Record<PowerAction, string> = {
  on: "Power on…",
  off: "Power off…",
  cycle: "Power cycle…",
  "pxe-once": "Network boot once…",
  status: "Refresh status",
};

/** What a finished action is called in its answer line. */
export const ACTION_DONE: Record<PowerAction, string> = {
  on: "Power on sent",
  off: "Power off sent",
  cycle: "Power cycle sent",
  "pxe-once": "Network boot once set",
  status: "Status read",
};

/** The state in words, for the badge. */
export const STATE_WORDS: Record<PowerView["state"]["state"], string> = {
  on: "On",
  off: "Off",
  unknown: "Unknown",
};

/**
 * The question before an action: what will happen to the machine, said plainly, and the dialog's button.
 * `who` names the machine (host name and MAC). Status changes nothing, so it asks nothing.
 */
export function actionQuestion(
  action: Exclude<PowerAction, "status">,
  who: string,
  view: PowerView,
): { title: string; body: string; button: string } {
  switch (action) {
    case "on":
      return view.driver === "wol"
        ? {
            title: `Wake ${who}?`,
            body: `A Wake-on-LAN magic packet goes to ${view.address || "255.255.255.255:9"}. The machine starts if its network card listens for it; Enforcer cannot see whether it did.`,
            button: "Send magic packet",
          }
        : {
            title: `Power on ${who}?`,
            body: "The machine is switched on now, as if its power button was pressed. If it is already on, nothing changes.",
            button: "Power on",
          };
    case "off":
      return {
        title: `Power off ${who}?`,
        body: "The machine stops at once, without shutting down its OS. Anything running on it is lost.",
        button: "Power off",
      };
    case "cycle":
      return {
        title: `Power cycle ${who}?`,
        body: "The machine is reset at once, without shutting down its OS (or switched on if it is off), and boots again. Anything running on it is lost.",
        button: "Power cycle",
      };
    case "pxe-once":
      return {
        title: `Network boot ${who} once?`,
        body: "Its next boot, and only that one, starts from the network, so it runs what Enforcer offers (an armed config or discovery). Its power is not changed: power cycle it to boot now.",
        button: "Network boot once",
      };
  }
}
