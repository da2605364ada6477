import type { Machine } from "../domain/machine.js";
import type { Store, StoreOp } from "../store/store.js";
import type { ConfigService } from "./configs.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import { DISCOVERY_AGENT } from "./agent-credentials.js";
import { COLLECTIONS } from "../store/collections.js";

/**
 * Events a machine only anonymous clients spoke for keeps. With the full history each of 10,000 invented
 * machines could hold 200 events of its own reports: over a gigabyte.
 */
export const UNKNOWN_HISTORY = 16;

/**
 * Events an unclaimed machine may have: the ones anonymous boot requests and discovery reports make, and
 * `machine.forgotten` left by an earlier record of the same MAC (else booting a forgotten MAC again made a
 * machine no cap or age ever removed: forgetting is what an operator does with invented machines).
 */
const ANONYMOUS_EVENTS = new Set([
  "machine.seen",
  "machine.created",
  "machine.updated",
  "machine.conflict",
  "machine.forgotten",
]);

/**
 * Machines known only through anonymous clients: a MAC that asked `/boot/machine`, or one that a discovery
 * key reported facts for. Anyone on the boot network can invent those at will. They are kept, least
 * recently seen first, up to a cap; past it (and once not seen for the retention age) the oldest is deleted
 * with its history. A machine stops counting once anything else is attached to it: a hostname, labels,
 * another agent, a config, an operator's resolution or any other event. A conflict it raised goes with it.
 */
export class UnknownMachines {
  /**
   * Machine id -> last-seen time (ms) as last written, least recently seen first: every stored machine whose
   * record is bare, kept from the store's change feed. One claimed by a config or an event (not on its
   * record) leaves it when an eviction looks at it.
   */
  private readonly order = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly machines: MachineService,
    private readonly events: EventLog,
    private readonly configs: ConfigService,
    private readonly max: number,
    /** Ops deleting what else refers only to a machine as it goes (its open identity conflicts). */
    private readonly alsoOps: (id: string) => StoreOp[] = () => [],
  ) {
    const seen = [...store.all<Machine>(COLLECTIONS.machines)].filter((m) => this.unclaimed(m));
    seen.sort((a, b) => (a.lastSeen < b.lastSeen ? -1 : a.lastSeen > b.lastSeen ? 1 : 0));
    for (const m of seen) this.order.set(m.id, Date.parse(m.lastSeen));
    store.onApplied((ops) => {
      for (const o of ops) if (o.collection === COLLECTIONS.machines) this.applied(o);
    });
  }

  /**
   * Called with a machine record a boot request or report is about to write: answers the ops that drop the
   * least recently seen unknown machines beyond the cap, counting this one if it is unknown (committed with
   * the write), except those in `spare`.
   */
  touchOps(m: Machine, spare: ReadonlySet<string> = new Set()): StoreOp[] {
    // One its history or a config claims adds no unknown machine: it pushes none out.
    if (!this.unclaimed(m)) return [];
    let size = this.order.size + (this.order.has(m.id) ? 0 : 1);
    const ops: StoreOp[] = [];
    for (const id of this.order.keys()) {
      if (size <= this.max) break;
      // This write makes it the most recently seen; everything else here was seen before it.
      if (id === m.id) continue;
      // `spare`: machines the same commit writes about (a conflict and its events). Evicted with it, they
      // would leave a conflict naming a deleted machine.
      if (spare.has(id)) continue;
      ops.push(...this.dropOps(id));
      size--;
    }
    return ops;
  }

  /** Ops that drop unknown machines last seen before `cutoffMs`. */
  agedOps(cutoffMs: number): StoreOp[] {
    const ops: StoreOp[] = [];
    for (const [id, seen] of this.order) {
      if (seen >= cutoffMs) break;
      ops.push(...this.dropOps(id));
    }
    return ops;
  }

  /** True when the machine exists and only anonymous clients have spoken for it (it counts towards the cap). */
  isUnknown(id: string): boolean {
    const m = this.machines.find(id as Machine["id"]);
    return !!m && m.id === id && this.unclaimed(m);
  }

  /**
   * Ops marking every machine that an operator's config or an event claims but whose record does not say
   * so (stored by an older version, or claimed some other way): retention is about to delete those configs
   * and events, and the machine would then count as unknown again.
   */
  keepClaimedOps(): StoreOp[] {
    const ops: StoreOp[] = [];
    for (const m of this.store.all<Machine>(COLLECTIONS.machines)) {
      if (this.bare(m) && !this.unclaimed(m)) ops.push(...this.machines.keepOps(m));
    }
    return ops;
  }

  /** How many machines are tracked as unknown. */
  count(): number {
    return this.order.size;
  }

  /**
   * Ops dropping a tracked machine if it is still unknown (it leaves the index when they are applied). One
   * claimed meanwhile by a config or an event is no longer unknown: it just leaves the index.
   */
  private dropOps(id: string): StoreOp[] {
    const m = this.machines.find(id as Machine["id"]);
    if (!m || m.id !== id || !this.unclaimed(m)) {
      this.order.delete(id);
      return [];
    }
    return [this.machines.dropOp(m), ...this.events.dropMachineOps(m.id), ...this.alsoOps(m.id)];
  }

  /**
   * Keeps the index from one applied machine op: an unclaimed record is (again) the most recently seen. Not
   * merely a bare one: a machine back with an operator's history (or a config) would count towards the cap
   * and push out a really unknown one, which a restart (that scans for unclaimed ones) would keep. The event
   * and config indexes have already taken in this commit (their listeners come first, see createCore).
   */
  private applied(o: StoreOp): void {
    this.order.delete(o.id);
    if (o.op === "put" && this.unclaimed(o.value as Machine))
      this.order.set(o.id, Date.parse((o.value as Machine).lastSeen));
  }

  /** Nothing on the record itself but what anonymous clients put there: boot-time details, discovery facts. */
  private bare(m: Machine): boolean {
    const agents = m.agents ?? [];
    const discoveredOnly = agents.length > 0 && agents.every((a) => a === DISCOVERY_AGENT);
    return (
      m.origin !== "operator" &&
      !m.kept &&
      (agents.length === 0 ? Object.keys(m.facts).length === 0 : discoveredOnly) &&
      Object.keys(m.labels).length === 0 &&
      !m.hostname
    );
  }

  private unclaimed(m: Machine): boolean {
    return this.bare(m) && !this.configs.newestFor(m.id) && this.events.onlyKinds(m.id, ANONYMOUS_EVENTS);
  }
}
