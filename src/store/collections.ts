/** Store collection names, in one place so no service (and no backend) misspells one. */
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
  /** Bookkeeping that must outlive pruning (the highest event sequence number ever issued). */
  retention: "retention",
  /** `--dhcp server` leases, keyed by address (bounded by the range). */
  dhcpLeases: "dhcp-leases",
  /** With a shared store: where each cached boot asset comes from, so an instance that has not fetched it can. */
  assets: "assets",
  /** Each machine's power control (driver, address, user, the password sealed with power.key). */
  power: "power",
  /** Each machine's power state as last observed, written only when it changes. */
  powerStates: "power-states",
} as const;
