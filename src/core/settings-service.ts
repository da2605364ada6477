import type { Store } from "../store/store.js";
import { COLLECTIONS } from "../store/collections.js";
import { DEFAULT_LIMITS, type CoreSettings, type GrowthLimits } from "./ports.js";
import { checkDiscoveryUrl, generalSources } from "../domain/boot-script-checks.js";

/** Settings an operator changes through the API; they persist and win over the start-up flags. */
export interface RuntimeSettings {
  discovery?: boolean;
  discoveryUrl?: string;
  remotes?: string[];
}

/** Where machines reach this Enforcer, known for certain only once HTTP listens. */
export interface BootAddress {
  publicUrl: string;
  discoveryKernel?: string;
  discoveryInitrd?: string;
}

/** The settings a change touched. */
export type SettingKey = keyof RuntimeSettings | keyof BootAddress;

/** Told after settings change (an API call, another instance's commit, the address once listening). */
export type SettingsListener = (changed: readonly SettingKey[]) => void;

/** The run-time settings in force. */
interface RuntimeValues {
  readonly discovery: boolean;
  readonly discoveryUrl?: string;
  readonly remotes: readonly string[];
}

/** The one stored record: runtime/settings, the same shape since runtime settings exist. */
const ID = "settings";

/**
 * The one owner of the settings: the static ones (retry window, limits) are frozen at construction; the
 * run-time ones (discovery, remotes) are the start-up values with the stored API changes over them, kept
 * from the store's change feed; only `update` changes them, after checking them. Reads are getters, so the
 * services that read settings always see the current values.
 */
export class SettingsService implements CoreSettings {
  /** The limits in force: the configured ones over DEFAULT_LIMITS. */
  readonly limits: Readonly<GrowthLimits>;
  readonly retryWindowMs: number;
  readonly seenIntervalMs: number | undefined;
  private readonly startup: RuntimeValues;
  private address: Readonly<BootAddress>;
  private current: RuntimeValues;
  private readonly listeners = new Set<SettingsListener>();

  constructor(
    private readonly store: Store,
    startup: CoreSettings,
  ) {
    this.limits = Object.freeze({ ...DEFAULT_LIMITS, ...startup.limits });
    this.retryWindowMs = startup.retryWindowMs;
    this.seenIntervalMs = startup.seenIntervalMs;
    this.startup = Object.freeze({
      discovery: startup.discovery,
      remotes: Object.freeze([...startup.remotes]),
      ...(startup.discoveryUrl !== undefined ? { discoveryUrl: startup.discoveryUrl } : {}),
    });
    this.address = Object.freeze({
      publicUrl: startup.publicUrl,
      discoveryKernel: startup.discoveryKernel,
      discoveryInitrd: startup.discoveryInitrd,
    });
    this.current = this.merged();
    store.onApplied((ops) => {
      const mine = ops.filter((o) => o.collection === COLLECTIONS.runtime && o.id === ID);
      if (mine.length === 0) return;
      const before = this.current;
      this.current = this.merged();
      const now = this.current;
      this.emit(
        (["discovery", "discoveryUrl", "remotes"] as const).filter((k) =>
          k === "remotes" ? before.remotes.join(" ") !== now.remotes.join(" ") : before[k] !== now[k],
        ),
      );
    });
  }

  /** Base URL booting machines use to reach this Enforcer, without a trailing slash. */
  get publicUrl(): string {
    return this.address.publicUrl;
  }
  /** The discovery image's kernel URL, when Enforcer serves the image itself. */
  get discoveryKernel(): string | undefined {
    return this.address.discoveryKernel;
  }
  /** The discovery image's initrd URL, when Enforcer serves the image itself. */
  get discoveryInitrd(): string | undefined {
    return this.address.discoveryInitrd;
  }
  /** Whether unknown machines get the discovery script. */
  get discovery(): boolean {
    return this.current.discovery;
  }
  /** The iPXE script URL that boots the discovery image. */
  get discoveryUrl(): string | undefined {
    return this.current.discoveryUrl;
  }
  /** Other Enforcer instances the general script asks, in order. */
  get remotes(): readonly string[] {
    return this.current.remotes;
  }

  /** What the API has changed so far (the rest comes from flags, environment or file). */
  stored(): RuntimeSettings {
    return this.store.get<RuntimeSettings>(COLLECTIONS.runtime, ID) ?? {};
  }

  /**
   * Changes run-time settings now and for later starts. A discovery URL or remote that could not go into
   * a script throws ENF_ERR_IPXE_UNSAFE_VALUE and nothing is stored; remotes lose their trailing slashes.
   */
  async update(change: RuntimeSettings): Promise<void> {
    if (change.discoveryUrl !== undefined) checkDiscoveryUrl(change.discoveryUrl);
    const next = { ...this.stored(), ...change };
    if (change.remotes) {
      generalSources({ self: this.publicUrl, remotes: change.remotes });
      next.remotes = change.remotes.map((r) => r.replace(/\/+$/, ""));
    }
    // The change feed (constructor) applies it, for this instance and, with a shared store, for the others.
    await this.store.commit([{ op: "put", collection: COLLECTIONS.runtime, id: ID, value: next }]);
  }

  /**
   * Sets where machines reach this Enforcer once HTTP listens (with --http-port 0 the port is known only
   * then). The composition root calls it once, before the first request; nothing else writes the address.
   */
  listening(address: BootAddress): void {
    const before = this.address;
    this.address = Object.freeze({ ...address });
    const keys = ["publicUrl", "discoveryKernel", "discoveryInitrd"] as const;
    this.emit(keys.filter((k) => before[k] !== address[k]));
  }

  /** Calls `listener` after each change; returns the function that stops it. Listeners must not throw. */
  onChange(listener: SettingsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The start-up values with the stored API changes over them (stored ones win, as they always have). */
  private merged(): RuntimeValues {
    const m = { ...this.startup, ...this.stored() };
    return Object.freeze({ ...m, remotes: Object.freeze([...m.remotes]) });
  }

  private emit(changed: SettingKey[]): void {
    if (changed.length === 0) return;
    for (const l of this.listeners) l(changed);
  }
}
