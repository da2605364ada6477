import type { BootConfig, ConfigState } from "../domain/boot-config.js";
import { COLLECTIONS } from "../store/collections.js";
import type { Store } from "../store/store.js";

/** How much the core holds, as /metrics reports it. */
export interface CoreCounts {
  /** Boot configs by lifecycle state; a state no config is in may be absent. */
  configsByState: Partial<Record<ConfigState, number>>;
  /** Machines Enforcer knows. */
  machines: number;
}

/** Read-only counts over the store, so that the transports never read the store themselves. */
export class CoreStats {
  constructor(private readonly store: Store) {}

  /** Counted now (a scrape is rare next to boots: no index kept up to date for it). */
  counts(): CoreCounts {
    const configsByState: Partial<Record<ConfigState, number>> = {};
    for (const c of this.store.all<BootConfig>(COLLECTIONS.configs)) {
      const s = c.lifecycle.state;
      configsByState[s] = (configsByState[s] ?? 0) + 1;
    }
    return { configsByState, machines: this.store.count(COLLECTIONS.machines) };
  }
}
