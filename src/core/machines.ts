import { EnforcerError } from "../domain/errors.js";
import type { MachineEvent } from "../domain/events.js";
import { parseHostname, parseLabels } from "../domain/identity.js";
import type { IdentityOwners } from "../domain/identity-claims.js";
import { newMachine, recordBoot, type BootIdentity, type Machine } from "../domain/machine.js";
import { parseMac, type Mac } from "../domain/mac.js";
import type { Store, StoreOp } from "../store/store.js";
import { ChangeSet } from "./change-set.js";
import type { EventLog } from "./event-log.js";
import { COLLECTIONS } from "../store/collections.js";
import { MachineIndex } from "./machine-index.js";
import { type Clock } from "./ports.js";

/** Filters for listing machines. */
export interface MachineQuery {
  label?: Record<string, string>;
  search?: string;
  limit?: number;
  offset?: number;
  /** An extra condition from outside the machine record (its config state, say). */
  where?: (m: Machine) => boolean;
}

/** Editable fields of a machine. */
export interface MachinePatch {
  hostname?: string | null;
  labels?: Record<string, string>;
}

/**
 * Machines: the boot-time "seen" record, operator edits, lookups by any MAC, UUID or serial. The lookup
 * indexes follow the store's change feed (and a scan at start), so a machine written by another service,
 * or another process sharing the store, is found the same way; the op builders change nothing.
 */
export class MachineService {
  /** Each stored machine as indexed, to unindex what a put replaces or a del removes (the store has moved on). */
  private readonly indexed = new Map<string, Machine>();
  /** Every MAC of every machine, to the machine's id (its primary MAC). */
  private readonly byMac = new Map<string, Mac>();
  /** UUIDs and serials to the machines holding them (agents ask on every report, so no scans). */
  private readonly byUuid = new Map<string, Set<string>>();
  private readonly bySerial = new Map<string, Set<string>>();
  /** Ids in order, search text and labels for the list (src/core/machine-index.ts). */
  private readonly query = new MachineIndex(() => this.indexed.values());

  /** Extra checks of an edited machine (the DHCP reservation label), run before anything is stored. */
  private check: (m: Machine) => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
  ) {
    for (const m of store.all<Machine>(COLLECTIONS.machines)) this.index(m);
    store.onApplied((ops) => {
      for (const o of ops) if (o.collection === COLLECTIONS.machines) this.applied(o);
    });
  }

  /** The machine that owns `mac` (any of its MACs), if known. */
  find(mac: Mac): Machine | undefined {
    const id = this.byMac.get(mac);
    return id ? this.store.get<Machine>(COLLECTIONS.machines, id) : undefined;
  }

  /** Who holds each kind of identity, for the claim decision (src/domain/identity-claims.ts). */
  owners(): IdentityOwners {
    return {
      mac: (mac) => this.byMac.get(mac),
      uuid: (uuid) => [...(this.byUuid.get(uuid) ?? [])],
      serial: (serial) => [...(this.bySerial.get(serial) ?? [])],
    };
  }

  /** Like find, from user input; throws ENF_ERR_MACHINE_NOT_FOUND. */
  get(idOrMac: string): Machine {
    const m = this.find(parseMac(idOrMac));
    if (!m)
      throw new EnforcerError("ENF_ERR_MACHINE_NOT_FOUND", `no machine with MAC ${idOrMac}`, {
        machine: idOrMac,
      });
    return m;
  }

  /** Records a boot request; new machines are created, known ones get last-seen and boot facts. */
  seenOps(who: BootIdentity): { machine: Machine; ops: StoreOp[]; events: MachineEvent[] } {
    const now = this.clock.now().toISOString();
    const known = this.find(who.mac);
    const id = known?.id ?? who.mac;
    // The open boot route is anonymous: a UUID or serial another machine holds is not taken from it.
    const held = (index: Map<string, Set<string>>, v: string | undefined) =>
      v !== undefined && [...(index.get(v) ?? [])].some((o) => o !== id);
    const claimed: BootIdentity = {
      ...who,
      uuid: held(this.byUuid, who.uuid) ? undefined : who.uuid,
      serial: held(this.bySerial, who.serial) ? undefined : who.serial,
    };
    const machine = recordBoot(known ?? newMachine(who.mac, "seen", now), claimed, now);
    const ops: StoreOp[] = [this.putOp(machine)];
    const events: MachineEvent[] = [];
    if (!known) {
      const r = this.events.record("machine.seen", machine.id, now, {
        detail: { arch: who.arch ?? "", platform: who.platform ?? "" },
      });
      ops.push(r.op);
      events.push(r.event);
    }
    return { machine, ops, events };
  }

  /** Creates a machine by MAC (pre-registration), or returns the existing one unchanged. */
  async ensure(mac: Mac): Promise<Machine> {
    const e = this.ensureOps(mac, this.clock.now().toISOString());
    await this.change().include(e).commit();
    return e.machine;
  }

  /**
   * The known machine, or a new one with the ops that store it, for the caller to commit together with
   * what needs it (a config), so that nothing is stored when the rest is refused.
   */
  ensureOps(mac: Mac, now: string): { machine: Machine; ops: StoreOp[]; events: MachineEvent[] } {
    const known = this.find(mac);
    if (known) return { machine: known, ops: [], events: [] };
    const machine = newMachine(mac, "operator", now);
    const r = this.events.record("machine.created", mac, now);
    return { machine, ops: [this.putOp(machine), r.op], events: [r.event] };
  }

  /** Sets the extra check an edited or registered machine must pass (createCore: the reservation label). */
  checkWith(check: (m: Machine) => void): void {
    this.check = check;
  }

  /**
   * Registers a machine by MAC before it ever boots, with a hostname and labels. All or nothing: a refused
   * hostname or label stores nothing, so the corrected retry is not a conflict.
   */
  async register(mac: Mac, patch: MachinePatch): Promise<Machine> {
    if (this.find(mac))
      throw new EnforcerError("ENF_ERR_MACHINE_EXISTS", `machine ${mac} is already known`, { machine: mac });
    const now = this.clock.now().toISOString();
    const machine = patched(newMachine(mac, "operator", now), patch);
    this.check(machine);
    const change = this.change().op(this.putOp(machine));
    change.event("machine.created", mac, now);
    await change.commit();
    return machine;
  }

  /**
   * The op marking a machine as the operator's (or none when it is already): what an operator attaches
   * (a config, a command) is deleted by retention in time, and the machine must not then count as one only
   * anonymous clients spoke for, to be aged out or evicted by a flood of invented MACs.
   */
  keepOps(m: Machine): StoreOp[] {
    if (m.kept || m.origin === "operator") return [];
    return [this.putOp({ ...m, kept: true })];
  }

  /** Changes hostname and labels; validated, and recorded in the history. */
  async update(idOrMac: string, patch: MachinePatch): Promise<Machine> {
    const m = this.get(idOrMac);
    const next: Machine = {
      ...patched(m, patch),
      ...(m.origin === "operator" ? {} : { kept: true as const }),
    };
    this.check(next);
    const change = this.change().op(this.putOp(next));
    change.event("machine.updated", m.id, this.clock.now().toISOString());
    await change.commit();
    return next;
  }

  /**
   * Forgets a machine (its history stays, for the record); refused while it holds a live config. `alsoOps`
   * adds what goes with it in the same commit (its identity conflicts, drafts, queued commands) and events.
   */
  async forget(
    idOrMac: string,
    holdsConfig: (id: string) => boolean,
    alsoOps: (id: string, at: string) => { ops: StoreOp[]; events: MachineEvent[] } = () => ({
      ops: [],
      events: [],
    }),
  ): Promise<void> {
    const m = this.get(idOrMac);
    if (holdsConfig(m.id)) {
      throw new EnforcerError("ENF_ERR_MACHINE_BUSY", `machine ${m.id} holds an armed or triggered config`, {
        machine: m.id,
      });
    }
    const at = this.clock.now().toISOString();
    const change = this.change().op(this.dropOp(m)).include(alsoOps(m.id, at));
    change.event("machine.forgotten", m.id, at);
    await change.commit();
  }

  /** Machines matching the query, sorted by id, with the total before paging. */
  list(q: MachineQuery = {}): { items: Machine[]; total: number } {
    const ids = this.query.match({
      labels: q.label ? Object.entries(q.label) : [],
      search: q.search?.toLowerCase(),
    });
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 100;
    const get = (id: string) => this.store.get<Machine>(COLLECTIONS.machines, id)!;
    if (!q.where) return { items: ids.slice(offset, offset + limit).map(get), total: ids.length };
    // The extra condition (a config state) is not the machines' to index: checked per match, in order.
    const items: Machine[] = [];
    let total = 0;
    for (const id of ids) {
      const m = get(id);
      if (!q.where(m)) continue;
      if (total >= offset && items.length < limit) items.push(m);
      total++;
    }
    return { items, total };
  }

  /** The op that stores a machine (the indexes follow once it is committed). */
  putOp(m: Machine): StoreOp {
    return { op: "put", collection: COLLECTIONS.machines, id: m.id, value: m };
  }

  /** The op that deletes a machine (forget, merge, retention of seen-only machines). */
  dropOp(m: Machine): StoreOp {
    return { op: "del", collection: COLLECTIONS.machines, id: m.id };
  }

  private change(): ChangeSet {
    return new ChangeSet(this.store, this.events);
  }

  /**
   * Keeps the indexes from one applied op. Ops apply in commit order, so a merge (drop, then put of the
   * machine that stays) ends with every MAC pointing at the one that stays; a MAC now another's stays theirs.
   */
  private applied(o: StoreOp): void {
    const old = this.indexed.get(o.id);
    if (old) this.unindex(old);
    const next = o.op === "put" ? (o.value as Machine) : undefined;
    if (next) this.index(next);
    if (old || next) this.query.changed(old, next);
  }

  private index(m: Machine): void {
    this.indexed.set(m.id, m);
    for (const mac of m.macs) this.byMac.set(mac, m.id);
    if (m.uuid) addTo(this.byUuid, m.uuid, m.id);
    if (m.serial) addTo(this.bySerial, m.serial, m.id);
  }

  private unindex(m: Machine): void {
    this.indexed.delete(m.id);
    for (const mac of m.macs) if (this.byMac.get(mac) === m.id) this.byMac.delete(mac);
    if (m.uuid) removeFrom(this.byUuid, m.uuid, m.id);
    if (m.serial) removeFrom(this.bySerial, m.serial, m.id);
  }
}

function removeFrom(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key);
  set?.delete(id);
  if (set?.size === 0) index.delete(key);
}

function addTo(index: Map<string, Set<string>>, key: string, id: string): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(id);
}

/** The machine with a patch applied; throws on a bad hostname or label before anything is recorded. */
function patched(m: Machine, patch: MachinePatch): Machine {
  const next: Machine = { ...m };
  if (patch.hostname === null) delete next.hostname;
  else if (patch.hostname !== undefined) next.hostname = parseHostname(patch.hostname);
  if (patch.labels) next.labels = parseLabels(patch.labels);
  return next;
}
