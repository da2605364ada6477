import type { Store } from "../store/store.js";
import { COLLECTIONS } from "../store/collections.js";
import { type CoreSettings } from "./ports.js";

/** Settings an operator changes through the API; they persist and win over the start-up flags. */
export interface RuntimeSettings {
  discovery?: boolean;
  discoveryUrl?: string;
  remotes?: string[];
}

const ID = "settings";

/** Applies stored API changes over the start-up settings, and stores new ones. */
export class RuntimeSettingsService {
  constructor(
    private readonly store: Store,
    private readonly settings: CoreSettings,
  ) {
    Object.assign(settings, this.stored());
  }

  /** What the API has changed so far (the rest comes from flags, environment or file). */
  stored(): RuntimeSettings {
    return this.store.get<RuntimeSettings>(COLLECTIONS.runtime, ID) ?? {};
  }

  /** Changes settings now and for later starts. */
  async update(change: RuntimeSettings): Promise<void> {
    const next = { ...this.stored(), ...change };
    await this.store.commit([{ op: "put", collection: COLLECTIONS.runtime, id: ID, value: next }]);
    Object.assign(this.settings, change);
  }
}
