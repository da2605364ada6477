import { EnforcerError } from "../../domain/errors.js";
import { EtcdCallError, type EtcdClient } from "./etcd-client.js";
import type { ProcessLease } from "./etcd-lease.js";
import type { EtcdWatchdog } from "./etcd-watchdog.js";

/** How long a commit of unknown outcome waits for etcd to take its fence before it is reported failed. */
const UNKNOWN_MAX_MS = 8000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What settling a lost answer needs of the store: its client, lease and watch, and the commit's state. */
export interface FenceContext {
  client: EtcdClient;
  lease: ProcessLease;
  watchdog: EtcdWatchdog;
  /** Whether the commit still waits: the watch resolves it when its marker comes by. */
  waiting(): boolean;
  /** The revision the watch has applied up to. */
  appliedRev(): number;
  closed(): boolean;
}

/** The key whose presence stops send `attempt` of commit `n` from applying (under the process's lease). */
export function fenceKey(markerKey: string, n: number, attempt: number): string {
  return `${markerKey.replace("/_commits/", "/_fences/")}/${n}.${attempt}`;
}

/**
 * A txn that was sent but whose answer never came may have applied, or may still apply: a member that was
 * stopped (SIGSTOP) or slow holds the request and proposes it when it runs again, any time later (no timer
 * can tell when etcd has given up on it). So the send is fenced: a txn puts its fence key (every send
 * expects its own fence absent), and once etcd took that, the send cannot apply any more. The watch is then
 * followed up to the fence's revision: if the commit's marker came by, it applied (the watch resolved it:
 * true); if not, it never will (false: the caller may send it again). An error: the store closed or etcd took
 * no fence within UNKNOWN_MAX_MS (the outcome is unknown: the caller rejects, never reports it as done).
 */
export async function settleLostAnswer(ctx: FenceContext, fence: string): Promise<boolean | EnforcerError> {
  const giveUpAt = Date.now() + UNKNOWN_MAX_MS;
  while (ctx.waiting() && !ctx.closed()) {
    if (Date.now() > giveUpAt) {
      // Still unknown (no quorum to take the fence): reported as failed, so the caller serves nothing of
      // it, never as done. If it did apply, the watch brings it in like any other change once etcd answers.
      return new EnforcerError(
        "ENF_ERR_STORE_UNAVAILABLE",
        "etcd does not answer; the commit may still apply later",
      );
    }
    try {
      // Either branch fences: the put, or the fence a lost earlier attempt of this fencing already put.
      const r = await ctx.client.txn(
        [{ key: fence, version: 0 }],
        [{ put: { key: fence, value: "", ...ctx.lease.field() } }],
      );
      ctx.watchdog.behind(r.revision);
      const deadline = Date.now() + 10_000;
      while (ctx.appliedRev() < r.revision && Date.now() < deadline && !ctx.closed()) await sleep(20);
      if (!ctx.waiting()) return true; // the watch brought it
      if (ctx.appliedRev() >= r.revision) return false;
    } catch (err) {
      // still no quorum, or the fence's own answer was lost: fence again
      if (err instanceof EtcdCallError && /lease not found/.test(err.message))
        await ctx.lease.grant().catch(() => undefined);
      await sleep(500);
    }
  }
  if (!ctx.waiting()) return true;
  return new EnforcerError(
    "ENF_ERR_STORE_UNAVAILABLE",
    "etcd did not answer before the store closed; the commit may or may not be applied",
  );
}
