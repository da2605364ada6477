import type { Facts } from "../domain/facts.js";
import { parseSerial, parseUuid } from "../domain/identity.js";
import { decideClaim } from "../domain/identity-claims.js";
import { tryParseMac, type Mac } from "../domain/mac.js";
import type { Machine } from "../domain/machine.js";
import type { Store, StoreOp } from "../store/store.js";
import { ChangeSet } from "./change-set.js";
import type { ConflictService } from "./conflicts.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import { DEFAULT_LIMITS, type Clock } from "./ports.js";
import type { UnknownMachines } from "./unknown-machines.js";

/**
 * MACs one machine may hold. A report's `macs` are at most 16, but its inventory may list thousands, and a
 * discovery key anyone can get attached every unheld one: 380,000 in 36 s, each report slower than the last.
 * Real machines have a handful of NICs; MACs past this are not attached (nor a conflict).
 */
export const MAX_MACHINE_MACS = 32;
/** MACs of one report looked at at all (attached up to MAX_MACHINE_MACS, or clashes): bounds a report's work. */
const MAX_REPORT_MACS = 256;

/** One agent's word about one machine: who speaks, for which machine, and what it says. */
export interface Intake {
  /** The agent system, recorded on the machine (`json:discovery`, `serf:127.0.0.1:7373`). */
  agent: string;
  /** The credential in words, for conflict records. */
  credential: string;
  /** The machine spoken for: its id, or the MAC of a machine to create. */
  self: Mac;
  /** The MACs named besides the inventory's own `macs`. */
  macs: Mac[];
  /** The sanitised inventory, when one came. */
  facts?: Facts;
  /** Ops to commit with the change (an agent token's binding). */
  ops?: StoreOp[];
}

/** What an intake did: the machine as stored, and the ids of conflicts it raised or added to. */
export interface IntakeResult {
  machine: Machine;
  conflicts: string[];
}

/**
 * Agent reports into machine records. Only the machine spoken for changes: identities (MACs, UUID, serial)
 * nobody holds are attached to it; one held by another machine is never attached and becomes an identity
 * conflict on both timelines (src/domain/identity-claims.ts decides).
 */
export class MachineIntake {
  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly machines: MachineService,
    private readonly conflicts: ConflictService,
    private readonly unknown?: UnknownMachines,
    /** Events kept per machine (retention's bound), also enforced as each report is recorded. */
    private readonly historyPerMachine = DEFAULT_LIMITS.historyPerMachine,
  ) {}

  /** Applies one agent's word about its machine, with the conflicts it raises, in one commit. */
  async apply(input: Intake): Promise<IntakeResult> {
    const now = this.clock.now().toISOString();
    const { facts } = input;
    const inventoryMacs = Array.isArray(facts?.macs) ? facts.macs.filter((m) => typeof m === "string") : [];
    const named = [input.self, ...input.macs, ...inventoryMacs.map((m) => tryParseMac(m))];
    const macs = [...new Set(named.filter((m): m is Mac => !!m))].slice(0, MAX_REPORT_MACS);
    const uuid = identity(facts?.uuid, parseUuid);
    const serial = identity(facts?.serial, parseSerial);
    const existing = this.machines.find(input.self);
    const base: Machine = existing ?? {
      id: input.self,
      macs: [],
      labels: {},
      facts: {},
      firstSeen: now,
      lastSeen: now,
      origin: "agent",
    };
    const decision = decideClaim(base.id, { macs, uuid, serial }, this.machines.owners());
    const next: Machine = {
      ...base,
      macs: withRoom(base.macs, decision.macs),
      lastSeen: now,
      agents: [...new Set([...(base.agents ?? []), input.agent])],
    };
    if (facts) next.facts = facts;
    if (decision.uuid) next.uuid = decision.uuid;
    if (decision.serial) next.serial = decision.serial;

    const raised =
      decision.clashes.length > 0
        ? this.conflicts.recordOps({
            machine: base.id,
            clashes: decision.clashes,
            reported: { macs: [...new Set(macs)].slice(0, 32), uuid, serial },
            agent: input.agent,
            credential: input.credential,
            at: now,
          })
        : { ops: [], events: [], ids: [] };
    const extra = [...(input.ops ?? []), ...raised.ops];
    const unchanged =
      existing && JSON.stringify(existing) === JSON.stringify({ ...next, lastSeen: existing.lastSeen });
    if (unchanged && extra.length === 0) return { machine: existing, conflicts: [] };
    const change = new ChangeSet(this.store, this.events);
    if (!unchanged) {
      change.op(this.machines.putOp(next));
      change.event(existing ? "machine.updated" : "machine.created", next.id, now, {
        detail: { agent: input.agent },
      });
    }
    change.op(...(input.ops ?? [])).include(raised);
    if (!unchanged) {
      // An agent may report many times a second and retention runs every 10 minutes: its machine's oldest
      // events go as new ones come, or one discovery key could pile up events until the next sweep.
      const adding = change.events.filter((e) => e.machine === next.id).length;
      change.op(...this.events.trimOps(next.id, this.historyPerMachine, adding));
      // A machine only a discovery key speaks for may be invented: it counts towards the anonymous cap.
      // Never the machines this report clashes with: the conflict it records names them.
      const named = new Set(decision.clashes.map((c) => c.machine));
      change.op(...(this.unknown?.touchOps(next, named) ?? []));
    }
    await change.commit();
    return { machine: unchanged ? existing : next, conflicts: raised.ids };
  }
}

/** The machine's MACs and the new ones that fit under MAX_MACHINE_MACS, in the order given. */
function withRoom(held: Mac[], claimed: Mac[]): Mac[] {
  const out = [...held];
  for (const m of claimed) {
    if (out.length >= MAX_MACHINE_MACS) break;
    if (!out.includes(m)) out.push(m);
  }
  return out;
}

/** A UUID or serial from an inventory, when it is a string that validates (else none: never stored). */
function identity<T>(value: unknown, parse: (s: string) => T | undefined): T | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  try {
    return parse(value);
  } catch {
    return undefined;
  }
}
