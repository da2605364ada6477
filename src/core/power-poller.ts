import type { PowerService } from "./power.js";

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
 * a quiet rack writes nothing. Machines are asked concurrently, under the queue's global cap.
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
    const runs: Promise<unknown>[] = [];
    for (const v of this.power.list()) {
      const rec = this.power.record(v.machine);
      if (!rec || !this.power.can(rec, "status")) continue;
      if (this.power.busy(v.machine)) {
        r.skipped++;
        continue;
      }
      r.asked++;
      runs.push(this.power.step(v.machine, "status", { poll: true }).catch(() => r.failed++));
    }
    await Promise.all(runs);
    return r;
  }
}
