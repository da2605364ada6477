import { randomUUID } from "node:crypto";
import { EnforcerError } from "../domain/errors.js";
import type { MachineEvent } from "../domain/events.js";
import {
  coveredBy,
  type Clash,
  type ConflictState,
  type Identity,
  type IdentityConflict,
} from "../domain/identity-claims.js";
import type { Machine } from "../domain/machine.js";
import type { Store, StoreOp } from "../store/store.js";
import { DISCOVERY_AGENT, type AgentCredentials } from "./agent-credentials.js";
import { ChangeSet } from "./change-set.js";
import { checkMerge, mergedMachine } from "./conflict-merge.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import { COLLECTIONS } from "../store/collections.js";
import { type Clock } from "./ports.js";

/** Conflict records one machine may have as the reporter; further clashes are refused but not recorded. */
const MAX_PER_MACHINE = 32;
/** Other machines one report may raise conflicts with, and identities one record lists. */
const MAX_CLASHES = 16;
const MAX_IDENTITIES = 64;
/**
 * Open conflicts anonymous reporters (discovery keys: anyone on the boot network, for any invented MAC) may
 * hold against one machine. Each puts an event on that machine's timeline; unbounded, they pushed its own
 * history out through retention and buried real conflicts. Claims beyond it are refused, not recorded.
 */
const MAX_ANONYMOUS_PER_HOLDER = 8;

/** One report's clashes, to be recorded with the report's own change. */
export interface ClashReport {
  machine: string;
  clashes: Clash[];
  reported: IdentityConflict["reported"];
  agent: string;
  credential: string;
  at: string;
}

/** How an operator settles a conflict. */
export type ConflictAction = "merge" | "dismiss";

/**
 * Identity conflicts: a credential that claimed another machine's MAC, UUID or serial. The claim was never
 * attached; the record makes it visible until an operator merges the two machines or keeps them apart.
 */
export class ConflictService {
  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly machines: MachineService,
    private readonly credentials: AgentCredentials,
    private readonly holdsConfig: (machine: string) => boolean,
    /** True for a machine only anonymous clients (boot requests, discovery keys) have spoken for. */
    private readonly isUnknown: (machine: string) => boolean = () => false,
    /** Records raised by discovery keys, in all: 32 per invented machine was up to 320,000 records. */
    private readonly maxAnonymous = Infinity,
    /** Ops moving a merged machine's pending work (draft configs, live commands) to the one that stays. */
    private readonly moveOps: (from: string, to: string) => StoreOp[] = () => [],
  ) {}

  /**
   * Ops and events recording a report's clashes, to commit with the report. A clash already recorded for the
   * same pair (open, or dismissed by an operator) is not raised again; only identities not seen before are.
   */
  recordOps(r: ClashReport): { ops: StoreOp[]; events: MachineEvent[]; ids: string[] } {
    const ops: StoreOp[] = [];
    const events: MachineEvent[] = [];
    const ids: string[] = [];
    const mine = this.list({ state: "all", machine: r.machine }).filter((c) => c.machine === r.machine);
    const anonymous = r.agent === DISCOVERY_AGENT ? this.openAnonymous() : undefined;
    let room = Math.min(
      MAX_PER_MACHINE - mine.length,
      anonymous ? this.maxAnonymous - anonymous.total : Infinity,
    );
    for (const clash of r.clashes.slice(0, MAX_CLASHES)) {
      const pair = mine.filter((c) => c.other === clash.machine && c.state !== "merged");
      if (
        coveredBy(
          clash.identities,
          pair.flatMap((c) => c.identities),
        )
      )
        continue;
      const open = pair.find((c) => c.state === "open");
      let next: IdentityConflict;
      if (open) {
        const identities = union(open.identities, clash.identities).slice(0, MAX_IDENTITIES);
        // A full record takes no more: rewriting it (with two events) per report would be endless writes.
        if (identities.length === open.identities.length) continue;
        next = {
          ...open,
          identities,
          reported: r.reported,
          updatedAt: r.at,
        };
      } else {
        if (room <= 0) continue;
        // Each record puts an event on the holder's timeline: invented reporters must not flush its history.
        const against = anonymous?.against.get(clash.machine) ?? 0;
        if (anonymous && against >= MAX_ANONYMOUS_PER_HOLDER) continue;
        anonymous?.against.set(clash.machine, against + 1);
        room--;
        next = {
          id: randomUUID(),
          machine: r.machine,
          other: clash.machine,
          identities: clash.identities.slice(0, MAX_IDENTITIES),
          reported: r.reported,
          agent: r.agent,
          credential: r.credential,
          state: "open",
          createdAt: r.at,
          updatedAt: r.at,
        };
      }
      ops.push(this.putOp(next));
      ids.push(next.id);
      const words = clash.identities.map((i) => `${i.kind} ${i.value}`).join(", ");
      // A discovery key adding identities to its open record tells only its own timeline (up to 34 per record).
      const sides =
        anonymous && open
          ? ([[r.machine, clash.machine]] as const)
          : ([
              [r.machine, clash.machine],
              [clash.machine, r.machine],
            ] as const);
      for (const [machine, other] of sides) {
        const e = this.events.record("machine.conflict", machine, r.at, {
          detail: { conflict: next.id, other, identities: words.slice(0, 300), credential: r.credential },
        });
        ops.push(e.op);
        events.push(e.event);
      }
    }
    return { ops, events, ids };
  }

  /** Open records raised by discovery keys: how many in all, and how many against each holder. */
  private openAnonymous(): { total: number; against: Map<string, number> } {
    const against = new Map<string, number>();
    let total = 0;
    for (const c of this.store.all<IdentityConflict>(COLLECTIONS.conflicts)) {
      if (c.agent !== DISCOVERY_AGENT || c.state !== "open") continue;
      total++;
      against.set(c.other, (against.get(c.other) ?? 0) + 1);
    }
    return { total, against };
  }

  /**
   * The machine `machine` was last merged into, if an operator merged it. The newest merge: a MAC whose
   * machine was merged, then forgotten, may come back as a new record that is merged again.
   */
  mergedInto(machine: string): string | undefined {
    let newest: IdentityConflict | undefined;
    for (const c of this.store.all<IdentityConflict>(COLLECTIONS.conflicts))
      if (c.machine === machine && c.state === "merged" && (!newest || c.updatedAt >= newest.updatedAt))
        newest = c;
    return newest?.other;
  }

  /** Conflicts, newest first: open ones unless another state (or `all`) is asked for; optionally one machine's. */
  list(filter: { state?: ConflictState | "all"; machine?: string } = {}): IdentityConflict[] {
    const state = filter.state ?? "open";
    return [...this.store.all<IdentityConflict>(COLLECTIONS.conflicts)]
      .filter((c) => state === "all" || c.state === state)
      .filter((c) => !filter.machine || c.machine === filter.machine || c.other === filter.machine)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  /** Open conflicts per machine (either side), for the machine list's badge. */
  openCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.store.all<IdentityConflict>(COLLECTIONS.conflicts)) {
      if (c.state !== "open") continue;
      for (const id of [c.machine, c.other]) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  /** A conflict by id; throws ENF_ERR_CONFLICT_NOT_FOUND. */
  get(id: string): IdentityConflict {
    const c = this.store.get<IdentityConflict>(COLLECTIONS.conflicts, id);
    if (!c) throw new EnforcerError("ENF_ERR_CONFLICT_NOT_FOUND", `no conflict ${id}`, { conflict: id });
    return c;
  }

  /**
   * Settles an open conflict. `merge`: the reporting machine is the other one (a NIC moved, a board was
   * swapped): its MACs join the other machine and its own record goes; the other machine keeps its id,
   * facts, configs and history. `dismiss`: they are different machines; the same clash is not raised again
   * and the claimed identities stay with their holder.
   */
  async resolve(id: string, action: ConflictAction, by: string): Promise<IdentityConflict> {
    const c = this.get(id);
    if (c.state !== "open") {
      throw new EnforcerError("ENF_ERR_CONFLICT_RESOLVED", `conflict ${id} is already ${c.state}`, {
        conflict: id,
        state: c.state,
      });
    }
    const at = this.clock.now().toISOString();
    const done: IdentityConflict = {
      ...c,
      state: action === "merge" ? "merged" : "dismissed",
      updatedAt: at,
      resolvedBy: by.slice(0, 80),
    };
    const change = new ChangeSet(this.store, this.events).op(this.putOp(done));
    if (action === "merge") change.op(...this.mergeOps(c));
    else
      for (const id of [c.machine, c.other]) {
        const m = this.store.get<Machine>(COLLECTIONS.machines, id);
        if (m) change.op(...this.machines.keepOps(m));
      }
    for (const [machine, other] of [
      [c.machine, c.other],
      [c.other, c.machine],
    ] as const) {
      change.event("machine.conflict-resolved", machine, at, {
        detail: { conflict: c.id, action, other, by: done.resolvedBy! },
      });
    }
    if (action === "merge")
      change.event("machine.forgotten", c.machine, at, { detail: { reason: `merged into ${c.other}` } });
    await change.commit();
    return done;
  }

  /** Ops dropping a machine's unmerged conflicts as it is forgotten: with one side gone nothing is left to settle. */
  forgetOps(machine: string): StoreOp[] {
    return this.list({ state: "all", machine })
      .filter((c) => c.state !== "merged")
      .map((c) => this.delOp(c.id));
  }

  /**
   * Ops for a machine only anonymous clients spoke for, evicted: its conflicts go (forgetOps), and so do
   * the events they put on the other machines' timelines, so invented machines leave no trace there.
   */
  evictOps(machine: string): StoreOp[] {
    const raised = this.list({ state: "all", machine }).filter((c) => c.machine === machine);
    const seqs: number[] = [];
    for (const c of raised) {
      for (const e of this.events.forMachine(c.other, 0, Number.MAX_SAFE_INTEGER))
        if (e.kind === "machine.conflict" && e.detail?.conflict === c.id) seqs.push(e.seq);
    }
    return [...this.forgetOps(machine), ...this.events.pruneOps(seqs)];
  }

  /** The reporting record folds into the other machine; its other open or dismissed conflicts go. */
  private mergeOps(c: IdentityConflict): StoreOp[] {
    const from = this.store.get<Machine>(COLLECTIONS.machines, c.machine);
    const into = this.store.get<Machine>(COLLECTIONS.machines, c.other);
    if (!from || !into) {
      throw new EnforcerError("ENF_ERR_MACHINE_NOT_FOUND", "one of the two machines is gone", {
        machine: from ? c.other : c.machine,
      });
    }
    checkMerge(from, into, this.isUnknown(into.id), this.holdsConfig(from.id));
    const merged = mergedMachine(from, into);
    // Earlier merges into `from` stay on record: they are how a key of a machine merged before finds its way
    // along the chain (A into B, then B into C: A's discovery key speaks for C).
    const others = this.list({ state: "all", machine: from.id }).filter(
      (x) => x.id !== c.id && x.state !== "merged",
    );
    // Drop before put: applied in this order, the index ends with every MAC pointing at the machine that stays.
    return [
      this.machines.dropOp(from),
      this.machines.putOp(merged),
      ...this.credentials.rebindOps(from.id, into.id),
      ...this.moveOps(from.id, into.id),
      ...others.map((x) => this.delOp(x.id)),
    ];
  }

  private putOp(c: IdentityConflict): StoreOp {
    return { op: "put", collection: COLLECTIONS.conflicts, id: c.id, value: c };
  }

  private delOp(id: string): StoreOp {
    return { op: "del", collection: COLLECTIONS.conflicts, id };
  }
}

function union(a: Identity[], b: Identity[]): Identity[] {
  return [...a, ...b.filter((x) => !coveredBy([x], a))];
}
