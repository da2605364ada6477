import { EnforcerError } from "../domain/errors.js";
import type { Machine } from "../domain/machine.js";

/**
 * Throws when `from` may not be merged into `into`: ENF_ERR_CONFLICT_MERGE_REFUSED when `into` is known only
 * from anonymous clients, ENF_ERR_MACHINE_BUSY when `from` holds an armed or triggered config.
 */
export function checkMerge(from: Machine, into: Machine, intoUnknown: boolean, fromBusy: boolean): void {
  // Merging keeps the other machine's id, facts and credentials: an invented record (anyone can take a MAC
  // nobody holds yet) would swallow a real host. Forgetting it frees its MACs for the host's next report.
  if (intoUnknown) {
    throw new EnforcerError(
      "ENF_ERR_CONFLICT_MERGE_REFUSED",
      `machine ${into.id} is known only from anonymous boots; forget it (its MACs go free) instead of merging ${from.id} into it`,
      { machine: from.id, other: into.id },
    );
  }
  if (fromBusy) {
    throw new EnforcerError(
      "ENF_ERR_MACHINE_BUSY",
      `machine ${from.id} holds an armed or triggered config; cancel it before merging`,
      { machine: from.id },
    );
  }
}

/** The machine that stays after `from` is merged into `into`: its id and facts, both machines' MACs and agents. */
export function mergedMachine(from: Machine, into: Machine): Machine {
  return {
    ...into,
    macs: [...new Set([...into.macs, ...from.macs])],
    agents: [...new Set([...(into.agents ?? []), ...(from.agents ?? [])])],
    lastSeen: into.lastSeen > from.lastSeen ? into.lastSeen : from.lastSeen,
    ...(into.origin === "operator" ? {} : { kept: true as const }),
  };
}
