/** The power drivers Enforcer speaks. */
export const POWER_DRIVERS = ["ipmi", "redfish", "wol"] as const;
/** One of POWER_DRIVERS. */
export type PowerDriverName = (typeof POWER_DRIVERS)[number];

/** What an operator can ask of a machine's power: `pxe-once` makes its next boot a network boot. */
export const POWER_ACTIONS = ["on", "off", "cycle", "status", "pxe-once"] as const;
/** One of POWER_ACTIONS. */
export type PowerAction = (typeof POWER_ACTIONS)[number];

/** A machine's power as last seen; `unknown` before any answer, or for a driver that cannot tell (WoL). */
export type PowerState = "on" | "off" | "unknown";

/** The firmware a network boot override is for: IPMI needs the EFI flag, Redfish a BootSourceOverrideMode. */
export type PowerBootMode = "uefi" | "legacy";

/** Driver settings beside address and credentials; each driver reads only its own. */
export interface PowerOptions {
  /** IPMI lanplus cipher suite (0-17), default 3 (ipmitool's default 17 is slow on many BMCs). */
  cipherSuite?: number;
  /** Which firmware `pxe-once` asks for; without it, what the machine's last boot showed (else legacy). */
  bootMode?: PowerBootMode;
  /**
   * Redfish: trust only the BMC certificate with this SHA-256 fingerprint (64 hex digits, colons allowed),
   * for a self-signed BMC certificate. Without it the certificate must verify against the system's CAs.
   */
  tlsFingerprint?: string;
  /** Redfish: the ComputerSystem id under /redfish/v1/Systems/, when the BMC has several (default: the only one). */
  systemId?: string;
}

/** A password encrypted at rest (AES-256-GCM with the data directory's power.key), bound to its machine. */
export interface SealedSecret {
  alg: "aes-256-gcm";
  /** The first 16 hex digits of the key's SHA-256: tells "another key" from "damaged". */
  keyId: string;
  iv: string;
  tag: string;
  data: string;
}

/** A machine's power control as stored (collection `power`, keyed by the machine id). */
export interface PowerRecord {
  machine: string;
  driver: PowerDriverName;
  /** `host[:port]`: the BMC for ipmi and redfish; for wol the broadcast address the packet goes to. */
  address: string;
  username?: string;
  password?: SealedSecret;
  options: PowerOptions;
  updatedAt: string;
}

/**
 * What the API and CLI show of a machine's power control: the record without its secret, the options flat
 * beside address and user (the same shape a PUT takes, less the password), and the last observed state.
 */
export interface PowerView extends PowerOptions {
  machine: string;
  driver: PowerDriverName;
  address: string;
  username?: string;
  /** Whether a password is stored; the password itself is never shown. */
  hasPassword: boolean;
  updatedAt: string;
  state: PowerStateRecord;
}

/**
 * A PUT of a machine's power control (validated by parsePowerInput): driver, address, user, password and the
 * driver's options, flat. A PUT without `password` keeps the stored one only when driver, address and user
 * are unchanged, so a password is never sent to a BMC it was not given for.
 */
export interface PowerInput extends PowerOptions {
  driver: PowerDriverName;
  address?: string;
  username?: string;
  password?: string;
}

/** A machine's power state as last observed (collection `power-states`, written only when it changes). */
export interface PowerStateRecord {
  machine: string;
  state: PowerState;
  /** When it was observed. */
  at: string;
  /** The last action's or poll's error code and the BMC's words, while the BMC answers badly. */
  error?: { code: string; message: string };
}

/** The outcome of one power action, as the API answers it. */
export interface PowerOutcome {
  machine: string;
  action: PowerAction;
  driver: PowerDriverName;
  /** The power state after the action, when the driver could tell. */
  state: PowerState;
  /** The BMC's own words, short. */
  detail: string;
  at: string;
}
