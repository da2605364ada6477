import { HOLDING_STATES, type BootConfig } from "../domain/boot-config.js";
import { COLLECTIONS } from "../store/collections.js";
import type { Store, StoreOp } from "../store/store.js";

/**
 * The configs' in-memory indexes, kept from the store's change feed (plus a scan at start): whatever
 * commits a config, this service or another process, the indexes follow. Nothing else writes them.
 */
export class ConfigIndex {
  /** The armed or triggered config that holds each machine. */
  private readonly holding = new Map<string, string>();
  private readonly bySecret = new Map<string, string>();
  /** Each config's secret and machine: a delete names only the id, and a merge moves a draft. */
  private readonly keyOf = new Map<string, { secret: string; machine: string; booted?: string }>();
  /** Each machine's newest config, whatever its state: what the machine list shows as its state. */
  private readonly newest = new Map<string, BootConfig>();
  /** The machine whose newest config each one is (a moved draft stops being its old machine's newest). */
  private readonly newestOf = new Map<string, string>();
  /** When each machine last booted a config, kept when a newer draft or a cancel hides it from `newest`. */
  private readonly booted = new Map<string, string>();

  constructor(private readonly store: Store) {
    for (const c of store.all<BootConfig>(COLLECTIONS.configs)) this.put(c);
    store.onApplied((ops) => this.apply(ops));
  }

  /** The id of the armed or triggered config that holds a machine, if any. */
  holdingId(machine: string): string | undefined {
    return this.holding.get(machine);
  }

  /** Every machine's holding config id. */
  holdingIds(): string[] {
    return [...this.holding.values()];
  }

  /** The id of the config behind a secret, if the secret is known. */
  secretId(secret: string): string | undefined {
    return this.bySecret.get(secret);
  }

  /** The machine's newest config in any state, if it ever had one. */
  newestFor(machine: string): BootConfig | undefined {
    return this.newest.get(machine);
  }

  /** When the machine last booted (triggered) any config, if it ever did. */
  bootedAt(machine: string): string | undefined {
    return this.booted.get(machine);
  }

  private apply(ops: readonly StoreOp[]): void {
    const orphaned = new Set<string>();
    const unbooted = new Set<string>();
    for (const o of ops) {
      if (o.collection !== COLLECTIONS.configs) continue;
      if (o.op === "put") this.put(o.value as BootConfig, orphaned);
      else this.forget(o.id, orphaned, unbooted);
    }
    if (orphaned.size === 0 && unbooted.size === 0) return;
    // A machine whose newest config went gets its newest remaining one (or none) as its state; one whose last
    // booted config went, the boot time the remaining ones say: what a restart's scan would find.
    for (const m of unbooted) this.booted.delete(m);
    for (const c of this.store.all<BootConfig>(COLLECTIONS.configs)) {
      if (unbooted.has(c.machine)) this.noteBoot(c);
      if (!orphaned.has(c.machine)) continue;
      const n = this.newest.get(c.machine);
      if (!n || !newer(n, c)) this.setNewest(c);
    }
  }

  /** Indexes a stored config; a machine a moved draft was the newest of goes into `orphaned`. */
  private put(c: BootConfig, orphaned?: Set<string>): void {
    const key = this.keyOf.get(c.id);
    if (key && key.machine !== c.machine && this.holding.get(key.machine) === c.id)
      this.holding.delete(key.machine);
    this.bySecret.set(c.secret, c.id);
    const booted = this.noteBoot(c);
    this.keyOf.set(c.id, { secret: c.secret, machine: c.machine, ...(booted ? { booted } : {}) });
    // A draft moved to another machine (a merge) is no longer the newest of the machine it left.
    const was = this.newestOf.get(c.id);
    if (was !== undefined && was !== c.machine) {
      this.newest.delete(was);
      this.newestOf.delete(c.id);
      orphaned?.add(was); // its newest is now the newest of those it still has, as a scan would find
    }
    const newest = this.newest.get(c.machine);
    if (!newest || newest.id === c.id || !newer(newest, c)) this.setNewest(c);
    if (HOLDING_STATES.includes(c.lifecycle.state)) this.holding.set(c.machine, c.id);
    else if (this.holding.get(c.machine) === c.id) this.holding.delete(c.machine);
  }

  /** Takes in when the config was booted, if it was; answers that time. */
  private noteBoot(c: BootConfig): string | undefined {
    const l = c.lifecycle;
    const at = "triggeredAt" in l ? l.triggeredAt : undefined;
    if (at && !((this.booted.get(c.machine) ?? "") >= at)) this.booted.set(c.machine, at);
    return at;
  }

  private setNewest(c: BootConfig): void {
    const before = this.newest.get(c.machine);
    if (before && before.id !== c.id) this.newestOf.delete(before.id);
    this.newest.set(c.machine, c);
    this.newestOf.set(c.id, c.machine);
  }

  private forget(id: string, orphaned: Set<string>, unbooted: Set<string>): void {
    const key = this.keyOf.get(id);
    if (key?.booted && this.booted.get(key.machine) === key.booted) unbooted.add(key.machine);
    this.keyOf.delete(id);
    if (key && this.bySecret.get(key.secret) === id) this.bySecret.delete(key.secret);
    if (key && this.holding.get(key.machine) === id) this.holding.delete(key.machine);
    const machine = this.newestOf.get(id);
    if (machine !== undefined) {
      this.newest.delete(machine);
      this.newestOf.delete(id);
      orphaned.add(machine);
    }
  }
}

/**
 * True when `a` is newer than `b`: by creation time, then by id. Two configs created in the same millisecond
 * (concurrent requests) must not take the order they were last written in: a restart scans them in another.
 */
function newer(a: BootConfig, b: BootConfig): boolean {
  return a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);
}
