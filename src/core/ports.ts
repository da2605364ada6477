/** The clock port: tests drive time, production reads the system clock. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

/**
 * The settings the core reads. createCore takes the start-up values (validated and frozen by config/);
 * afterwards the core's SettingsService answers them, and only it changes the run-time ones.
 */
export interface CoreSettings {
  /** Base URL booting machines use to reach this Enforcer, without a trailing slash. */
  readonly publicUrl: string;
  /** Other Enforcer instances the general script asks, in order (run time: the API may change it). */
  readonly remotes: readonly string[];
  /** How long after the first fetch the same machine may fetch its config's script again. */
  readonly retryWindowMs: number;
  /** A known machine's last-seen time is written at most this often (default DEFAULT_SEEN_INTERVAL_MS). */
  readonly seenIntervalMs?: number;
  /** Discovery: when on, unknown machines get the discovery script (run time). */
  readonly discovery: boolean;
  /** The iPXE script URL that boots the discovery image (run time). */
  readonly discoveryUrl?: string;
  /** Or the discovery image itself: Enforcer then boots it with a per-boot agent key. */
  readonly discoveryKernel?: string;
  readonly discoveryInitrd?: string;
  /** Bounds on what grows with use (history, sessions, unknown machines); defaults in DEFAULT_LIMITS. */
  readonly limits?: Readonly<Partial<GrowthLimits>>;
}

/** What Enforcer keeps at most, so that a server running for years (and an anonymous client) cannot fill it. */
export interface GrowthLimits {
  /** Events kept per machine, newest first. */
  historyPerMachine: number;
  /** Events, finished configs and commands, and seen-only machines older than this many days are deleted. */
  historyDays: number;
  /** Finished (completed, expired, cancelled) configs and finished commands kept per machine, each. */
  finishedPerMachine: number;
  /** Live discovery keys; past it the oldest is revoked. */
  maxDiscoverySessions: number;
  /** Machines known only from a boot request (nothing else attached); past it the least recently seen goes. */
  maxUnknownMachines: number;
  /**
   * Identity conflicts raised by discovery keys, in all (anyone can get such a key for an invented MAC);
   * past it their clashes are still refused, only not recorded.
   */
  maxAnonymousConflicts: number;
}

/** The limits when none are configured: a rack of thousands for months, within a Pi's memory. */
export const DEFAULT_LIMITS: GrowthLimits = {
  historyPerMachine: 200,
  historyDays: 90,
  finishedPerMachine: 20,
  maxDiscoverySessions: 10_000,
  maxUnknownMachines: 10_000,
  maxAnonymousConflicts: 1_000,
};
