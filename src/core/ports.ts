/** The clock port: tests drive time, production reads the system clock. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

/** Settings the core needs, already validated and frozen by config/. */
export interface CoreSettings {
  /** Base URL booting machines use to reach this Enforcer, without a trailing slash. */
  publicUrl: string;
  /** Other Enforcer instances the general script asks, in order. */
  remotes: string[];
  /** How long after the first fetch the same machine may fetch its config's script again. */
  retryWindowMs: number;
  /** Discovery: when on, unknown machines get the discovery script. */
  discovery: boolean;
  /** The iPXE script URL that boots the discovery image. */
  discoveryUrl?: string;
  /** Or the discovery image itself: Enforcer then boots it with a per-boot agent key. */
  discoveryKernel?: string;
  discoveryInitrd?: string;
}

/** Store collection names, in one place so no service misspells one. */
export const COLLECTIONS = {
  machines: "machines",
  profiles: "profiles",
  configs: "configs",
  events: "events",
  tokens: "tokens",
  commands: "commands",
  runtime: "runtime",
  agentSessions: "agent-sessions",
  conflicts: "conflicts",
  agentBindings: "agent-bindings",
} as const;
