// The power shapes as the API answers and takes them (docs/api.md "Power"), copied from src/domain/power.ts
// because the client imports nothing of the server: the web UI bundles it on its own.

/** A power driver: IPMI over lanplus, Redfish over HTTPS, or Wake-on-LAN (power on only). */
export type PowerDriverName = "ipmi" | "redfish" | "wol";

/** The power actions; `pxe-once` makes the next boot a network boot without changing power. */
export const POWER_ACTIONS = ["on", "off", "cycle", "status", "pxe-once"] as const;

/** One of POWER_ACTIONS. */
export type PowerAction = (typeof POWER_ACTIONS)[number];

/** A machine's power as last seen; `unknown` before any answer, or for a driver that cannot tell (WoL). */
export type PowerState = "on" | "off" | "unknown";

/** Driver settings beside address and credentials; each driver reads only its own. */
export interface PowerOptions {
  /** IPMI lanplus cipher suite (0-17). */
  cipherSuite?: number;
  /** Which firmware `pxe-once` asks for. */
  bootMode?: "uefi" | "legacy";
  /** Redfish: the SHA-256 fingerprint of the BMC's self-signed certificate (64 hex digits). */
  tlsFingerprint?: string;
  /** Redfish: the ComputerSystem id when the BMC has several. */
  systemId?: string;
}

/** The body of `PUT /machines/:mac/power`; without `password`, the stored one is kept when nothing else moved. */
export interface PowerInput extends PowerOptions {
  driver: PowerDriverName;
  address?: string;
  username?: string;
  password?: string;
}

/** A machine's power state as last observed, with the BMC's last error while it answers badly. */
export interface PowerStateView {
  machine: string;
  state: PowerState;
  at: string;
  error?: { code: string; message: string };
}

/** A machine's power control as the API shows it: never the password, only whether one is stored. */
export interface PowerView extends PowerOptions {
  machine: string;
  driver: PowerDriverName;
  address: string;
  username?: string;
  hasPassword: boolean;
  updatedAt: string;
  state: PowerStateView;
}

/** What one power action did, in the BMC's words. */
export interface PowerOutcome {
  machine: string;
  action: PowerAction;
  driver: PowerDriverName;
  state: PowerState;
  detail: string;
  at: string;
}
