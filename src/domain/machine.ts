import type { Facts } from "./facts.js";
import type { Uuid } from "./identity.js";
import type { Mac } from "./mac.js";

/** What Enforcer knows about one machine; `id` is its primary MAC in canonical form. */
export interface Machine {
  id: Mac;
  macs: Mac[];
  uuid?: Uuid;
  serial?: string;
  hostname?: string;
  labels: Record<string, string>;
  facts: Facts;
  /** The boot-time values iPXE last reported (`${buildarch}`, `${platform}`). */
  arch?: string;
  platform?: string;
  firstSeen: string;
  lastSeen: string;
  /** Agent systems that know this machine (e.g. `serf:127.0.0.1:7373`). */
  agents?: string[];
  /** How the machine became known: booted unknown, created by an operator, or reported by an agent. */
  origin: "seen" | "operator" | "agent";
  /**
   * Set once an operator attached anything (a config, a command, an edit, a resolution): the machine is no
   * longer one only anonymous clients spoke for, even after retention deleted what was attached.
   */
  kept?: true;
}

/** The boot-time identity iPXE sends in the general script's query string. */
export interface BootIdentity {
  mac: Mac;
  uuid?: Uuid;
  serial?: string;
  arch?: string;
  platform?: string;
}

/** A fresh record for a machine first met at `now`. */
export function newMachine(mac: Mac, origin: Machine["origin"], now: string): Machine {
  return { id: mac, macs: [mac], labels: {}, facts: {}, firstSeen: now, lastSeen: now, origin };
}

/** The machine after a boot request: last seen, and arch/platform/uuid/serial filled from what iPXE reported. */
export function recordBoot(m: Machine, who: BootIdentity, now: string): Machine {
  return {
    ...m,
    lastSeen: now,
    arch: who.arch ?? m.arch,
    platform: who.platform ?? m.platform,
    uuid: m.uuid ?? who.uuid,
    serial: m.serial ?? who.serial,
  };
}
