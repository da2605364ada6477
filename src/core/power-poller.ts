import type { PowerService } from "./power.js";

/** Machines a poll asks at once: a quarter of the global cap (64), the rest left to operators and reboots. */
const POLL_CONCURRENCY = 16;

/** What one poll did. */
export interface PowerPollResult {
  /** Machines asked for their state. */
  asked: number;
  /** Of them, the ones whose BMC answered badly (the error is in their power-states record). */
  failed: number;
  /** Machines skipped: an action was under way or waiting for them (its answer tells the state). */
  skipped: number;
}

/**
 * Asks `status` of every machine whose driver can tell (not Wake-on-LAN), through the same per-machine
 * queue as the operators' actions, so a poll never runs beside an action on one BMC; a machine with an
 * action under way is skipped. Writes `power-states` only on a change (PowerService.step with `poll`), so
 * a quiet rack writes nothing. Machines are asked POLL_CONCURRENCY at a time.
 */
export class PowerPoller {
  private running: Promise<PowerPollResult> | undefined;

  constructor(private readonly power: PowerService) {}

  /** One poll; a call while one is under way gets that one (polls never overlap). */
  poll(): Promise<PowerPollResult> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<PowerPollResult> {
    const r: PowerPollResult = { asked: 0, failed: 0, skipped: 0 };
    const todo = this.power
      .list()
      .map((v) => this.power.record(v.machine))
      .filter((rec) => rec !== undefined && this.power.can(rec, "status"))
      .map((rec) => rec!.machine);
    // At most POLL_CONCURRENCY at once: a rack of dead BMCs then holds a quarter of the global cap for a
    // poll, never all of it, so an operator's action or a reboot on a live machine does not wait for them.
    const worker = async () => {
      for (let id = todo.shift(); id !== undefined; id = todo.shift()) {
        // An action under way or waiting for it tells its state; checked when its turn comes.
        if (this.power.busy(id)) {
          r.skipped++;
          continue;
        }
        r.asked++;
        await this.power.step(id, "status", { poll: true }).catch(() => r.failed++);
      }
    };
    await Promise.all(Array.from({ length: Math.min(POLL_CONCURRENCY, todo.length) }, worker));
    return r;
  }
}
