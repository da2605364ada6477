import type { PowerDriver } from "../core/power-port.js";
import { POWER_ACTIONS, type PowerAction, type PowerDriverName } from "../domain/power.js";

/**
 * The power drivers `serve` registers: IPMI (ipmitool), Redfish (HTTPS through undici) and Wake-on-LAN.
 * Each driver's code loads on its first action: most servers control no BMC, and Redfish's HTTP client
 * alone is larger than the rest of a start (docs/footprint.md). Names and actions are known without it
 * (power-drivers.test.ts checks them against the drivers).
 */
export function powerDrivers(): PowerDriver[] {
  return [
    lazyDriver("ipmi", POWER_ACTIONS, async () =>
      (await import("../power/ipmi/ipmi-driver.js")).ipmiDriver(),
    ),
    lazyDriver("redfish", POWER_ACTIONS, async () =>
      (await import("../power/redfish/redfish-driver.js")).redfishDriver(),
    ),
    lazyDriver("wol", ["on"], async () => (await import("../power/wol/wol-driver.js")).wolDriver()),
  ];
}

/** A driver whose code is imported on its first run (once; a failed import is tried again next time). */
export function lazyDriver(
  name: PowerDriverName,
  actions: readonly PowerAction[],
  load: () => Promise<PowerDriver>,
): PowerDriver {
  let real: Promise<PowerDriver> | undefined;
  return {
    name,
    actions,
    async run(target, action, signal) {
      real ??= load().catch((err: unknown) => {
        real = undefined;
        throw err;
      });
      return (await real).run(target, action, signal);
    },
  };
}
