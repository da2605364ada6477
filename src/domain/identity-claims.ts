import type { Uuid } from "./identity.js";
import type { Mac } from "./mac.js";

/** The kinds of identity a machine is known by. */
export type IdentityKind = "mac" | "uuid" | "serial";

/** One identity: a MAC, an SMBIOS UUID or a serial number, in canonical form. */
export interface Identity {
  kind: IdentityKind;
  value: string;
}

/** The identities a credential claims for the machine it speaks for, already parsed. */
export interface Claim {
  macs: Mac[];
  uuid?: Uuid;
  serial?: string;
}

/** Who holds an identity today (machine ids); the decision asks, the caller knows the machines. */
export interface IdentityOwners {
  mac(mac: Mac): string | undefined;
  uuid(uuid: Uuid): string[];
  serial(serial: string): string[];
}

/** Identities of one other machine that a claim named. */
export interface Clash {
  machine: string;
  identities: Identity[];
}

/** What a claim may attach to the machine (`accepted`) and what belongs to other machines (`clashes`). */
export interface ClaimDecision {
  macs: Mac[];
  uuid?: Uuid;
  serial?: string;
  clashes: Clash[];
}

/**
 * Decides a claim made for machine `self`: an identity that nobody else holds is accepted (a machine may have
 * several NICs); one that another machine holds is never attached, it becomes a clash with that machine. A
 * credential speaks only for its own machine, so nothing a report says can move another machine's identity.
 */
export function decideClaim(self: string, claim: Claim, owners: IdentityOwners): ClaimDecision {
  const clashes = new Map<string, Identity[]>();
  const clash = (machine: string, identity: Identity) => {
    const list = clashes.get(machine) ?? [];
    if (!list.some((i) => i.kind === identity.kind && i.value === identity.value)) list.push(identity);
    clashes.set(machine, list);
  };
  const macs: Mac[] = [];
  for (const mac of new Set(claim.macs)) {
    const owner = owners.mac(mac);
    if (owner === undefined || owner === self) macs.push(mac);
    else clash(owner, { kind: "mac", value: mac });
  }
  const decision: ClaimDecision = { macs, clashes: [] };
  if (claim.uuid) {
    const others = owners.uuid(claim.uuid).filter((id) => id !== self);
    for (const o of others) clash(o, { kind: "uuid", value: claim.uuid });
    if (others.length === 0) decision.uuid = claim.uuid;
  }
  if (claim.serial) {
    const others = owners.serial(claim.serial).filter((id) => id !== self);
    for (const o of others) clash(o, { kind: "serial", value: claim.serial });
    if (others.length === 0) decision.serial = claim.serial;
  }
  decision.clashes = [...clashes]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([machine, identities]) => ({ machine, identities }));
  return decision;
}

/** How an operator settled a conflict: still open, merged into the other machine, or kept apart. */
export type ConflictState = "open" | "merged" | "dismissed";

/** A stored identity conflict: one machine's credential claimed identities that another machine holds. */
export interface IdentityConflict {
  id: string;
  /** The machine the reporting credential speaks for. */
  machine: string;
  /** The machine that holds the claimed identities. */
  other: string;
  /** The clashing identities (never attached to `machine`). */
  identities: Identity[];
  /** What was reported: the identities named, capped. */
  reported: { macs: string[]; uuid?: string; serial?: string };
  /** The agent system (`json:discovery`, `json:<token name>`, `serf:…`). */
  agent: string;
  /** The credential that spoke: `discovery key for <mac>`, `agent token <id> (<name>)`, `member <name>`. */
  credential: string;
  state: ConflictState;
  createdAt: string;
  updatedAt: string;
  /** Who settled it (a token's name), when settled. */
  resolvedBy?: string;
}

/** True when every identity in `wanted` is already among `known`. */
export function coveredBy(wanted: Identity[], known: Identity[]): boolean {
  return wanted.every((w) => known.some((k) => k.kind === w.kind && k.value === w.value));
}
