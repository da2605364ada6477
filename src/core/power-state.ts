import type { PowerRecord, PowerState, PowerStateRecord, PowerView } from "../domain/power.js";
import { COLLECTIONS } from "../store/collections.js";
import type { Store } from "../store/store.js";
import type { ChangeSet } from "./change-set.js";

/**
 * Adds to `cs` the machine's observed state and BMC error when either changed (a quiet rack writes nothing),
 * and a `power.state` event when the state did. `state` undefined: the driver could not tell (kept as was).
 */
export function observeState(
  store: Store,
  cs: ChangeSet,
  id: string,
  state: PowerState | undefined,
  error: PowerStateRecord["error"],
  at: string,
  extra: Record<string, string>,
): void {
  const old = store.get<PowerStateRecord>(COLLECTIONS.powerStates, id);
  const next = state ?? old?.state ?? "unknown";
  const errorChanged =
    (old?.error?.code ?? "") !== (error?.code ?? "") ||
    (old?.error?.message ?? "") !== (error?.message ?? "");
  if (old && old.state === next && !errorChanged) return;
  if (!old && next === "unknown" && !error) return;
  const value: PowerStateRecord = { machine: id, state: next, at, ...(error ? { error } : {}) };
  cs.op({ op: "put", collection: COLLECTIONS.powerStates, id, value });
  if ((old?.state ?? "unknown") !== next) {
    cs.event("power.state", id, at, { detail: { state: next, from: old?.state ?? "unknown", ...extra } });
  }
}

/** What the API shows of a record: flat, `hasPassword` instead of the sealed secret, the last observed state. */
export function powerView(r: PowerRecord, observed: PowerStateRecord | undefined): PowerView {
  return {
    machine: r.machine,
    driver: r.driver,
    address: r.address,
    ...(r.username !== undefined ? { username: r.username } : {}),
    hasPassword: r.password !== undefined,
    ...r.options,
    updatedAt: r.updatedAt,
    state: observed ?? { machine: r.machine, state: "unknown", at: r.updatedAt },
  };
}
