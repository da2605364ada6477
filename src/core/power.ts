import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import type { MachineEvent } from "../domain/events.js";
import { parseMac } from "../domain/mac.js";
import { parsePowerInput } from "../domain/power-input.js";
import type {
  PowerAction,
  PowerBootMode,
  PowerDriverName,
  PowerInput,
  PowerOutcome,
  PowerRecord,
  PowerState,
  PowerStateRecord,
  PowerView,
} from "../domain/power.js";
import { COLLECTIONS } from "../store/collections.js";
import type { Store, StoreOp } from "../store/store.js";
import { ChangeSet } from "./change-set.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import type { Clock } from "./ports.js";
import type { PowerDriver, PowerTarget } from "./power-port.js";
import { busyError, POWER_WAITING_PER_MACHINE, PowerQueue } from "./power-queue.js";
import { observeState, powerView } from "./power-state.js";
import { cleanWords, runDriver } from "./power-run.js";
import type { PowerSecrets } from "./power-secrets.js";

/** The default bound of one driver run (`--power-timeout`). */
export const DEFAULT_POWER_TIMEOUT_MS = 15_000;

/** What /metrics shows of power control. */
export interface PowerMetrics {
  /** Machines with power control, by last observed state. */
  byState: Record<PowerState, number>;
  /** Each machine with power control: its last observed state. */
  machines: { machine: string; driver: PowerDriverName; state: PowerState }[];
  /** Actions run since start, by driver, action and outcome ("ok" or the error code). */
  actions: { driver: PowerDriverName; action: PowerAction; outcome: string; count: number }[];
}

/** Who asked for a step: an operator (no extra), a reboot command (its id), or the poller (no events). */
export interface PowerStepOrigin {
  command?: string;
  poll?: boolean;
}

/**
 * Power control per machine: the stored driver settings (password sealed with power.key), actions through
 * the registered drivers one at a time per machine (PowerQueue) with a bounded run (`--power-timeout`),
 * each step on the machine's timeline, and the last observed state (`power-states`, written on change).
 */
export class PowerService {
  private readonly drivers = new Map<PowerDriverName, PowerDriver>();
  private readonly queue = new PowerQueue();
  /** Actions run since start: `driver action outcome` to a count (bounded: 3 drivers x 5 actions x codes). */
  private readonly counts = new Map<string, number>();
  /** Aborted by stop(): every driver run under way ends (its child killed, its socket dropped). */
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly machines: MachineService,
    private readonly secrets: PowerSecrets,
    private readonly timeoutMs = DEFAULT_POWER_TIMEOUT_MS,
  ) {}

  /** Registers a driver (the daemon adds ipmi, redfish and wol; tests a fake). */
  addDriver(d: PowerDriver): void {
    this.drivers.set(d.name, d);
  }

  /** Sets a machine's power control; the machine must exist, the password is sealed before it is stored. */
  async set(machine: string, input: PowerInput): Promise<PowerView> {
    const m = this.machines.get(machine);
    const previous = this.record(m.id);
    // Validated again here: the service is the last line, whatever the caller checked.
    const clean = parsePowerInput(input, previous);
    const password =
      clean.password !== undefined ? this.secrets.seal(m.id, clean.password) : previous?.password;
    const options = {
      ...(clean.cipherSuite !== undefined ? { cipherSuite: clean.cipherSuite } : {}),
      ...(clean.bootMode ? { bootMode: clean.bootMode } : {}),
      ...(clean.tlsFingerprint ? { tlsFingerprint: clean.tlsFingerprint } : {}),
      ...(clean.systemId ? { systemId: clean.systemId } : {}),
    };
    const at = this.now();
    const rec: PowerRecord = {
      machine: m.id,
      driver: clean.driver,
      address: clean.address ?? "",
      ...(clean.username !== undefined ? { username: clean.username } : {}),
      ...(password ? { password } : {}),
      options,
      updatedAt: at,
    };
    const cs = new ChangeSet(this.store, this.events)
      .expect(COLLECTIONS.power, m.id, previous)
      .op({ op: "put", collection: COLLECTIONS.power, id: m.id, value: rec });
    cs.event("power.set", m.id, at, {
      detail: { driver: rec.driver, address: rec.address, username: rec.username ?? "" },
    });
    await cs.commit();
    return this.view(rec);
  }

  /** A machine's power control as shown (never the password); ENF_ERR_POWER_NOT_SET when none. */
  get(machine: string): PowerView {
    return this.view(this.required(this.idOf(machine)));
  }

  /** Removes a machine's power control and its observed state; ENF_ERR_POWER_NOT_SET when none. */
  async remove(machine: string): Promise<void> {
    const id = this.idOf(machine);
    const rec = this.required(id);
    const cs = new ChangeSet(this.store, this.events)
      .expect(COLLECTIONS.power, id, rec)
      .op({ op: "del", collection: COLLECTIONS.power, id });
    if (this.store.get(COLLECTIONS.powerStates, id)) {
      cs.op({ op: "del", collection: COLLECTIONS.powerStates, id });
    }
    cs.event("power.removed", id, this.now(), { detail: { driver: rec.driver } });
    await cs.commit();
  }

  /** Ops that drop a forgotten machine's power control and state (the BMC's password goes with it). */
  forgetOps(id: string): StoreOp[] {
    return [COLLECTIONS.power, COLLECTIONS.powerStates]
      .filter((c) => this.store.get(c, id) !== undefined)
      .map((collection) => ({ op: "del", collection, id }));
  }

  /** Every machine's power control, by machine id. */
  list(): PowerView[] {
    return [...this.store.all<PowerRecord>(COLLECTIONS.power)]
      .sort((a, b) => (a.machine < b.machine ? -1 : a.machine > b.machine ? 1 : 0))
      .map((r) => this.view(r));
  }

  /** Runs one action on a machine's BMC; throws the driver's coded error (its words on the timeline too). */
  act(machine: string, action: PowerAction): Promise<PowerOutcome> {
    return this.step(this.machines.get(machine).id, action, {});
  }

  /** The stored record of a machine (by id), if any. */
  record(id: string): PowerRecord | undefined {
    return this.store.get<PowerRecord>(COLLECTIONS.power, id);
  }

  /** A machine's last observed state (`unknown` before any answer). */
  stateOf(id: string): PowerState {
    return this.store.get<PowerStateRecord>(COLLECTIONS.powerStates, id)?.state ?? "unknown";
  }

  /** Whether the registered driver of `rec` can do `action`. */
  can(rec: PowerRecord, action: PowerAction): boolean {
    return this.drivers.get(rec.driver)?.actions.includes(action) ?? false;
  }

  /** Ends every driver run under way (the server stops); later runs end at once. */
  stop(): void {
    this.stopping.abort();
  }

  /**
   * Whether an action runs or waits for the machine now. Not the global cap: with it, a poll that filled
   * the cap with dead BMCs took every later machine for busy and never asked it (attack-core.test.ts).
   */
  busy(id: string): boolean {
    return this.queue.holds(id);
  }

  /** Power runs under way now. */
  get running(): number {
    return this.queue.running;
  }

  /**
   * One action through the machine's queue: `power.queued`, `power.sent`, then `power.done` or
   * `power.failed` on the timeline (a reboot command's steps carry its id; the poller's none), the observed
   * state written when it changed. Throws the coded error.
   */
  async step(id: string, action: PowerAction, origin: PowerStepOrigin): Promise<PowerOutcome> {
    const rec = this.required(id);
    const driver = this.drivers.get(rec.driver);
    if (!driver?.actions.includes(action)) {
      throw new EnforcerError(
        "ENF_ERR_POWER_UNSUPPORTED",
        driver
          ? `the ${rec.driver} driver cannot ${action} (it can: ${driver.actions.join(", ")})`
          : `the ${rec.driver} driver is not available in this Enforcer`,
        { machine: id, action },
      );
    }
    const extra: Record<string, string> = origin.command ? { command: origin.command } : {};
    // Refused before anything is recorded: a refused action leaves no `power.queued` behind.
    if (this.queue.full(id)) throw busyError(id, POWER_WAITING_PER_MACHINE);
    const waits = this.queue.wouldWait(id);
    // The place in the queue is taken in this same tick, before the "queued" step is written (the job
    // waits for it): with the write first, a burst of 200 all passed the check above while the first
    // wrote, and 195 refused actions left a "queued" step (attack-core.test.ts).
    let noted: Promise<void> = Promise.resolve();
    const done = this.queue.run(id, async () => {
      await noted;
      const now = this.record(id); // read again: removed or changed while waiting
      if (!now) throw this.notSet(id);
      if (!origin.poll) {
        await this.note(
          id,
          "power.sent",
          { action, driver: now.driver, ...extra },
          waits ? [] : [{ kind: "power.queued", detail: { action, ...extra } }],
        );
      }
      let target: PowerTarget | undefined;
      try {
        target = this.target(now);
        const r = await runDriver(driver, target, action, this.timeoutMs, this.stopping.signal);
        this.count(now.driver, action, "ok");
        const before = this.stateOf(id);
        const state = r.state ?? before;
        const at = this.now();
        const cs = new ChangeSet(this.store, this.events);
        observeState(this.store, cs, id, r.state, undefined, at, extra);
        if (!origin.poll) {
          cs.event("power.done", id, at, { detail: { action, state, detail: r.detail, ...extra } });
        }
        await cs.commit();
        return { machine: id, action, driver: now.driver, state, detail: r.detail, at };
      } catch (err) {
        const e = isEnforcerError(err)
          ? new EnforcerError(err.code, cleanWords(err.message, target?.password), err.details)
          : new EnforcerError("ENF_ERR_SERVER_INTERNAL", "power action failed", { machine: id });
        this.count(now.driver, action, e.code);
        const at = this.now();
        const cs = new ChangeSet(this.store, this.events);
        observeState(this.store, cs, id, undefined, { code: e.code, message: e.message }, at, extra);
        if (!origin.poll) {
          cs.event("power.failed", id, at, {
            detail: { action, code: e.code, message: e.message, ...extra },
          });
        }
        await cs.commit().catch(() => undefined); // the driver's error is what the caller needs
        throw e;
      }
    });
    if (!origin.poll && waits) {
      noted = this.note(id, "power.queued", { action, ...extra });
      noted.catch(() => undefined); // awaited by the job; this only keeps it from being "unhandled" meanwhile
    }
    return done;
  }

  /** The counts and states /metrics shows. */
  metrics(): PowerMetrics {
    const byState: Record<PowerState, number> = { on: 0, off: 0, unknown: 0 };
    const machines: PowerMetrics["machines"] = [];
    for (const r of this.store.all<PowerRecord>(COLLECTIONS.power)) {
      const state = this.stateOf(r.machine);
      byState[state]++;
      machines.push({ machine: r.machine, driver: r.driver, state });
    }
    machines.sort((a, b) => (a.machine < b.machine ? -1 : 1));
    const actions = [...this.counts].map(([k, count]) => {
      const [driver, action, outcome] = k.split(" ") as [PowerDriverName, PowerAction, string];
      return { driver, action, outcome, count };
    });
    return { byState, machines, actions };
  }

  /** Commits timeline events of a step (with `before` recorded first, in the same commit). */
  private async note(
    id: string,
    kind: MachineEvent["kind"],
    detail: Record<string, string>,
    before: { kind: MachineEvent["kind"]; detail: Record<string, string> }[] = [],
  ): Promise<void> {
    const cs = new ChangeSet(this.store, this.events);
    const at = this.now();
    for (const b of before) cs.event(b.kind, id, at, { detail: b.detail });
    cs.event(kind, id, at, { detail });
    await cs.commit();
  }

  /** The driver's view of a record: the password opened for this call only, bootMode resolved. */
  private target(rec: PowerRecord): PowerTarget {
    const bootMode = rec.options.bootMode ?? this.bootModeOf(rec.machine);
    return {
      machine: rec.machine,
      address: rec.address,
      ...(rec.username !== undefined ? { username: rec.username } : {}),
      ...(rec.password ? { password: this.secrets.open(rec.machine, rec.password) } : {}),
      options: { ...rec.options, ...(bootMode ? { bootMode } : {}) },
    };
  }

  /** The firmware the machine last booted with, as iPXE's `${platform}` said (efi or pcbios). */
  private bootModeOf(id: string): PowerBootMode | undefined {
    const p = this.machines.find(parseMac(id))?.platform;
    return p === "efi" ? "uefi" : p === "pcbios" ? "legacy" : undefined;
  }

  private count(driver: PowerDriverName, action: PowerAction, outcome: string): void {
    const k = `${driver} ${action} ${outcome}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }

  private view(r: PowerRecord): PowerView {
    return powerView(r, this.store.get<PowerStateRecord>(COLLECTIONS.powerStates, r.machine));
  }

  /** A machine id from any of its MACs; a forgotten machine's own id still names its record. */
  private idOf(machine: string): string {
    const mac = parseMac(machine);
    return this.machines.find(mac)?.id ?? mac;
  }

  private required(id: string): PowerRecord {
    const r = this.record(id);
    if (!r) throw this.notSet(id);
    return r;
  }

  private notSet(id: string): EnforcerError {
    return new EnforcerError("ENF_ERR_POWER_NOT_SET", `machine ${id} has no power control set`, {
      machine: id,
    });
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
