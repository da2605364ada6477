import type { Command } from "../domain/command.js";
import { isEnforcerError } from "../domain/errors.js";
import type { CommandExecutor, CommandRoute, Delivery } from "./command-executor.js";
import type { PowerService } from "./power.js";

/** Which reaches a machine first for a reboot (`--reboot-order`): its agent, or its power control. */
export const REBOOT_ORDERS = ["agent,power", "power,agent"] as const;
/** One of REBOOT_ORDERS. */
export type RebootOrder = (typeof REBOOT_ORDERS)[number];

/** A JSON agent that polled this recently is taken to be running: its machine's reboot is left to it. */
export const AGENT_POLL_WINDOW_MS = 2 * 60_000;

/**
 * Reboots through power control: `pxe-once` (so a machine whose firmware boots its disk first still boots
 * its armed config), then `cycle`; Wake-on-LAN sends its packet (`on`) instead, and only to a machine not
 * seen on. Each step is on the machine's timeline with the command's id.
 */
export class PowerExecutor implements CommandExecutor {
  constructor(
    private readonly power: PowerService,
    private readonly order: RebootOrder,
    /** Whether the machine's JSON agent polled within AGENT_POLL_WINDOW_MS (asked with `agent,power`). */
    private readonly agentPolled: (machine: string) => boolean,
  ) {}

  reach(machine: string): CommandRoute | undefined {
    const rec = this.power.record(machine);
    if (!rec) return undefined;
    const wol = rec.driver === "wol";
    // WoL can only wake: a machine seen on would get a packet and stay as it is.
    if (
      wol ? !this.power.can(rec, "on") || this.power.stateOf(machine) === "on" : !this.power.can(rec, "cycle")
    ) {
      return undefined;
    }
    // Agent first: a running JSON agent reboots its machine cleanly (the OS shuts down); leave it the command.
    if (this.order === "agent,power" && this.agentPolled(machine)) return undefined;
    return { via: `power:${rec.driver}`, deliver: (c) => this.reboot(c, wol) };
  }

  private async reboot(c: Command, wol: boolean): Promise<Delivery> {
    if (c.type !== "reboot") return { state: "failed", detail: `power control cannot carry ${c.type}` };
    const origin = { command: c.id };
    try {
      let pxe = "";
      if (!wol) {
        // If the boot override fails, nothing is cycled: a reboot into the disk would not provision.
        pxe = (await this.power.step(c.machine, "pxe-once", origin)).detail;
      }
      const r = await this.power.step(c.machine, wol ? "on" : "cycle", origin);
      return { state: "acknowledged", detail: pxe ? `${pxe}; ${r.detail}` : r.detail };
    } catch (err) {
      const detail = isEnforcerError(err) ? `${err.code}: ${err.message}` : String(err);
      return { state: "failed", detail };
    }
  }
}
