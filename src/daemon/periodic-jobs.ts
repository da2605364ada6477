import type { Logger } from "pino";
import type { Core } from "../core/create-core.js";
import { PowerPoller } from "../core/power-poller.js";
import { alwaysLeader, type Leadership } from "../store/election.js";

/** How often triggered configs past their retry window are expired and recorded. */
const SWEEP_INTERVAL_MS = 5_000;
/** How often retention deletes what is past its limits (also once at start). */
const RETENTION_INTERVAL_MS = 10 * 60_000;
/** How often queued commands are offered to the executors again (a JSON agent that went quiet: power). */
const DELIVERY_INTERVAL_MS = 30_000;

/**
 * The periodic jobs of `serve`, each placed for several instances over one shared store
 * (docs/store.md "Periodic jobs with several instances"):
 * - config expiry: on every instance. Each expiry expects the config as read, so of two instances
 *   expiring one config one wins and the other skips it; it costs a scan of triggered configs, and it must
 *   not wait a leader's failover to keep a window.
 * - the boot timeline's settling: on every instance, each for its own timeline (kept in memory).
 * - retention: on the leader only (safe on all: deletions expect what they read, but one pass is enough
 *   and it scans everything); in commits of at most the store's maxOpsPerCommit.
 * - command delivery (power control, and the agents when configured): on the leader, at once for each
 *   queued command and every DELIVERY_INTERVAL_MS; passes may overlap (a slow BMC holds only its machine).
 * - the power poll (`--power-poll`, 0 = off): on the leader only, once at start and every interval.
 * The leader comes from an Election (src/store/election.ts); with the file store this instance leads.
 * Returns the function that stops them (retention's batches under way finish: `core.retention.settled()`).
 */
export function startPeriodicJobs(
  core: Core,
  log: Logger,
  /** This instance's campaign for the jobs one instance runs (`election.campaign("jobs")`). */
  leader: Leadership = alwaysLeader.campaign("jobs"),
  /** `--power-poll` in seconds (0: no poll). */
  powerPollSeconds = 0,
): () => void {
  const sweep = setInterval(() => {
    core.configs.expireDue().catch((err) => log.error({ err }, "expiry sweep failed"));
    // Boot attempts that went quiet get their summary written (known machines only).
    core.timeline.settle().catch((err) => log.error({ err }, "timeline settle failed"));
  }, SWEEP_INTERVAL_MS);
  sweep.unref();
  const retain = () => {
    if (!leader.isLeader()) return;
    core.retention
      .sweep()
      .then((r) => {
        if (Object.values(r).some((n) => n > 0)) log.info({ deleted: r }, "retention pass");
      })
      .catch((err) => log.error({ err }, "retention pass failed"));
  };
  retain();
  const retention = setInterval(retain, RETENTION_INTERVAL_MS);
  retention.unref();
  // An instance that becomes the leader (at start, once elected; or when the leader died) runs a pass now.
  const unsubscribe = leader.onChange((now) => {
    if (now) retain();
  });
  const deliver = () => {
    if (!leader.isLeader()) return;
    core.commands.deliverQueued().catch((err) => log.error({ err }, "command delivery failed"));
  };
  const delivery = setInterval(deliver, DELIVERY_INTERVAL_MS);
  delivery.unref();
  const unsubscribeQueued = core.events.subscribe((e) => {
    if (e.kind === "command.queued") deliver();
  });
  const poller = new PowerPoller(core.power);
  const poll = () => {
    if (!leader.isLeader()) return;
    poller
      .poll()
      .then((r) => {
        if (r.asked > 0) log.debug({ power: r }, "power poll");
      })
      .catch((err) => log.error({ err }, "power poll failed"));
  };
  let polling: NodeJS.Timeout | undefined;
  if (powerPollSeconds > 0) {
    poll();
    polling = setInterval(poll, powerPollSeconds * 1000);
    polling.unref();
  }
  return () => {
    clearInterval(sweep);
    clearInterval(retention);
    clearInterval(delivery);
    clearInterval(polling);
    unsubscribe();
    unsubscribeQueued();
    core.power.stop();
  };
}
