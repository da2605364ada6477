import { EnforcerError } from "../domain/errors.js";

/** Actions that may wait behind the running one of a machine; past it ENF_ERR_POWER_BUSY. */
export const POWER_WAITING_PER_MACHINE = 4;
/** Driver runs at once over all machines (each may hold an ipmitool child or a TLS socket). */
export const POWER_GLOBAL_CAP = 64;

interface Job {
  run: () => Promise<void>;
}

/**
 * One power action at a time per machine (a BMC handles concurrent sessions badly, and `pxe-once` then
 * `cycle` must not interleave with an operator's `off`), in FIFO order with a bounded wait, and at most
 * `cap` runs at once over all machines. Machines never wait for each other below the cap.
 *
 * The queue is per process: with a shared store, two instances may each send one action to the same BMC
 * at once; BMCs serialise their own chassis commands, and docs/power.md says so.
 */
export class PowerQueue {
  /** Per machine: the jobs not yet started (the running one is not in it). */
  private readonly machines = new Map<string, { running: boolean; waiting: Job[] }>();
  /** Machines whose head job waits for a global slot, in order. */
  private readonly slotWaiters: (() => void)[] = [];
  private active = 0;

  constructor(
    private readonly perMachine = POWER_WAITING_PER_MACHINE,
    private readonly cap = POWER_GLOBAL_CAP,
  ) {}

  /** True when an action for `machine` would have to wait (one runs or waits already, or the cap is full). */
  wouldWait(machine: string): boolean {
    const m = this.machines.get(machine);
    return (m !== undefined && (m.running || m.waiting.length > 0)) || this.active >= this.cap;
  }

  /** True when an action runs or waits for `machine` (the global cap aside). */
  holds(machine: string): boolean {
    const m = this.machines.get(machine);
    return m !== undefined && (m.running || m.waiting.length > 0);
  }

  /** True when `perMachine` actions already wait for `machine`: one more would be ENF_ERR_POWER_BUSY. */
  full(machine: string): boolean {
    return (this.machines.get(machine)?.waiting.length ?? 0) >= this.perMachine;
  }

  /** Driver runs under way now (the global cap counts these). */
  get running(): number {
    return this.active;
  }

  /**
   * Runs `fn` when the machine's earlier actions are done and a global slot is free; rejects with
   * ENF_ERR_POWER_BUSY at once when `perMachine` actions already wait for the machine.
   */
  run<T>(machine: string, fn: () => Promise<T>): Promise<T> {
    let m = this.machines.get(machine);
    if (!m) {
      m = { running: false, waiting: [] };
      this.machines.set(machine, m);
    }
    if (m.waiting.length >= this.perMachine) return Promise.reject(busyError(machine, m.waiting.length));
    return new Promise<T>((resolve, reject) => {
      m.waiting.push({ run: () => Promise.resolve().then(fn).then(resolve, reject) });
      this.pump(machine);
    });
  }

  private pump(machine: string): void {
    const m = this.machines.get(machine);
    if (!m || m.running) return;
    const job = m.waiting.shift();
    if (!job) {
      this.machines.delete(machine); // nothing kept for a machine with no actions: no growth with machines seen
      return;
    }
    m.running = true;
    void this.slot().then(async () => {
      try {
        await job.run();
      } finally {
        this.release();
        m.running = false;
        this.pump(machine);
      }
    });
  }

  private slot(): Promise<void> {
    if (this.active < this.cap) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.slotWaiters.push(() => resolve()));
  }

  private release(): void {
    const next = this.slotWaiters.shift();
    // The slot passes straight to the next waiter: `active` stays the same.
    if (next) next();
    else this.active--;
  }
}

/** ENF_ERR_POWER_BUSY for a machine with `waiting` actions in line. */
export function busyError(machine: string, waiting: number): EnforcerError {
  return new EnforcerError(
    "ENF_ERR_POWER_BUSY",
    `${waiting} power actions already wait for ${machine}; try again when they are done`,
    { machine },
  );
}
