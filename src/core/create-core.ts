import { randomBytes } from "node:crypto";
import type { Store } from "../store/store.js";
import { AgentCredentials } from "./agent-credentials.js";
import { AgentSessionService } from "./agent-sessions.js";
import { AgentMemberSync } from "./agent-member-sync.js";
import { AgentReach, type AgentSystems } from "./agent-reach.js";
import { AgentReports } from "./agent-reports.js";
import { AssetCatalogue } from "./asset-catalogue.js";
import { AssetCache, type AssetCacheOptions } from "./asset-cache.js";
import { AssetService } from "./asset-service.js";
import { armThroughAssets } from "./asset-wiring.js";
import { BootService } from "./boot-service.js";
import { BootTimeline } from "./boot-timeline.js";
import { CommandPolls } from "./command-polls.js";
import { DhcpLeaseService } from "./dhcp-lease-service.js";
import { CommandService } from "./commands.js";
import { ConfigFiles } from "./config-files.js";
import { ConfigRenderer } from "./config-render.js";
import { ConfigService } from "./configs.js";
import { PiBootService } from "./pi-boot.js";
import { PowerService } from "./power.js";
import { AGENT_POLL_WINDOW_MS, PowerExecutor, type RebootOrder } from "./power-executor.js";
import type { PowerDriver } from "./power-port.js";
import { PowerSecrets } from "./power-secrets.js";
import { ConflictService } from "./conflicts.js";
import { EventLog } from "./event-log.js";
import { MachineIntake } from "./machine-intake.js";
import { MachineService } from "./machines.js";
import { systemClock, type Clock, type CoreSettings } from "./ports.js";
import { ProfileService } from "./profiles.js";
import { RetentionService } from "./retention.js";
import { SettingsService } from "./settings-service.js";
import { CoreStats } from "./stats.js";
import { StoreStatus } from "./store-status.js";
import { TokenService } from "./tokens.js";
import { UNKNOWN_HISTORY, UnknownMachines } from "./unknown-machines.js";

/** The core's services wired over one store; the transports (HTTP, later TFTP and agents) use only this. */
export interface Core {
  /** Every setting the core reads; the one writer of the run-time ones. */
  settings: SettingsService;
  events: EventLog;
  machines: MachineService;
  profiles: ProfileService;
  configs: ConfigService;
  /** Renders configs from profile and facts: what arming stores, and previews. */
  renderer: ConfigRenderer;
  /** The provisioning files under a triggered config's secret URL. */
  configFiles: ConfigFiles;
  boot: BootService;
  /** Raspberry Pi boot directories over TFTP, per machine and exactly once. */
  piBoot: PiBootService;
  tokens: TokenService;
  commands: CommandService;
  /** The agent systems Enforcer reaches out to (serf, consul); together the first command executor. */
  agents: AgentSystems;
  /** Members of the agent systems become machines; new ones get their inventory fetched. */
  agentSync: AgentMemberSync;
  /** A JSON agent's inventory and identity reports. */
  agentReports: AgentReports;
  /** A JSON agent's long poll for queued commands, and its acknowledgements. */
  commandPolls: CommandPolls;
  sessions: AgentSessionService;
  conflicts: ConflictService;
  credentials: AgentCredentials;
  unknown: UnknownMachines;
  retention: RetentionService;
  /** Read-only counts for /metrics. */
  stats: CoreStats;
  /** The store's kind and health (/metrics, the status route, the API's write gate). */
  storeStatus: StoreStatus;
  /** `--dhcp server` leases and reservations (the daemon configures it in that mode). */
  dhcpLeases: DhcpLeaseService;
  /** Boot steps from the edges (DHCP, TFTP, boot HTTP), per machine and attempt. */
  timeline: BootTimeline;
  /** Kernels and initrds fetched once from their mirror and served from the data directory. */
  assets: AssetCache;
  /** The cache for operators: what each file is used by, pre-seeding, removal. */
  assetCatalog: AssetService;
  /** Power control per machine (IPMI, Redfish, Wake-on-LAN) and its reboot executor. */
  power: PowerService;
}

/** What the core needs besides settings: the secret discovery keys are derived from (random when absent). */
export interface CoreSecrets {
  sessionSecret?: Uint8Array;
  /** The data directory's power.key that seals BMC passwords (random when absent: tests). */
  powerKey?: Uint8Array;
}

/** Power control's drivers and bounds (the daemon passes the real drivers and `--power-*` settings). */
export interface CorePowerOptions {
  drivers?: readonly PowerDriver[];
  /** Bound of one driver run, ms (`--power-timeout`). */
  timeoutMs?: number;
  /** Who reboots a machine first (`--reboot-order`, default agent,power). */
  rebootOrder?: RebootOrder;
}

/**
 * Builds the core over a store, rebuilding every in-memory index from what the store holds. `startup` is
 * what flags, environment and file say; settings stored through the API win over it.
 */
export function createCore(
  store: Store,
  startup: CoreSettings,
  clock: Clock = systemClock,
  secrets: CoreSecrets = {},
  /** The boot asset cache's directory and cap (absent: the cache is off). */
  assets: Omit<AssetCacheOptions, "clock"> = { dir: "", maxBytes: 0, log: { info() {}, warn() {} } },
  powerOptions: CorePowerOptions = {},
): Core {
  // Settings first: every service below reads them (and the limits) from here, none keeps a copy it writes.
  const settings = new SettingsService(store, startup);
  const limits = settings.limits;
  // Four dependencies run both ways (events and unknown machines, profiles and configs, unknown machines
  // and conflicts, credentials and conflicts): the later service is reached through a closure that is only
  // called once a request runs, never while the core is being built.
  // A machine only anonymous clients spoke for keeps a short history; asked only for long ones.
  const events: EventLog = new EventLog(store, (id): number =>
    unknown.isUnknown(id) ? Math.min(UNKNOWN_HISTORY, limits.historyPerMachine) : limits.historyPerMachine,
  );
  const machines = new MachineService(store, events, clock);
  const dhcpLeases = new DhcpLeaseService(store, clock);
  machines.checkWith((m) => dhcpLeases.checkReservation(m));
  // The profile service asks the config service (called later, at delete time) whether a profile is in use.
  const profiles: ProfileService = new ProfileService(store, clock, (name): boolean =>
    configs.usesProfile(name),
  );
  const renderer = new ConfigRenderer(clock, settings, machines, profiles);
  const configs: ConfigService = new ConfigService(
    store,
    events,
    clock,
    settings,
    machines,
    profiles,
    renderer,
  );
  const configFiles = new ConfigFiles(configs, () => settings.publicUrl);
  const secret = secrets.sessionSecret ?? randomBytes(32);
  const sessions = new AgentSessionService(store, clock, secret, limits.maxDiscoverySessions);
  // Conflicts are built later; an evicted machine's open conflicts are asked for only at eviction time.
  const unknown: UnknownMachines = new UnknownMachines(
    store,
    machines,
    events,
    configs,
    limits.maxUnknownMachines,
    (id) => conflicts.evictOps(id),
  );
  const boot = new BootService(store, events, clock, settings, machines, configs, sessions, unknown);
  const tokens = new TokenService(store, clock);
  const commands = new CommandService(store, events, clock, machines);
  // A discovery key ends once its machine boots a config, and follows an operator's merge.
  const credentials = new AgentCredentials(
    store,
    machines,
    // Any config it booted, not only the newest: a new draft or a cancel must not revive an ended key.
    (machine) => configs.lastBootedAt(machine),
    (id) => conflicts.mergedInto(id),
  );
  const conflicts: ConflictService = new ConflictService(
    store,
    events,
    clock,
    machines,
    credentials,
    (id) => configs.holdingFor(id) !== undefined,
    (id) => unknown.isUnknown(id),
    limits.maxAnonymousConflicts,
    (from, to) => [...configs.moveDraftsOps(from, to), ...commands.moveLiveOps(from, to)],
  );
  const intake = new MachineIntake(
    store,
    events,
    clock,
    machines,
    conflicts,
    unknown,
    limits.historyPerMachine,
  );
  const agents = new AgentReach();
  const commandPolls = new CommandPolls(store, events, clock, commands.open);
  const power = new PowerService(
    store,
    events,
    clock,
    machines,
    new PowerSecrets(secrets.powerKey ?? randomBytes(32)),
    powerOptions.timeoutMs,
  );
  for (const d of powerOptions.drivers ?? []) power.addDriver(d);
  // The command executors, in `--reboot-order`: the agent systems, and power control (IPMI, Redfish, WoL).
  const order = powerOptions.rebootOrder ?? "agent,power";
  const byPower = new PowerExecutor(power, order, (m) => commandPolls.polledWithin(m, AGENT_POLL_WINDOW_MS));
  for (const e of order === "agent,power" ? [agents, byPower] : [byPower, agents]) commands.addExecutor(e);
  const retention = new RetentionService(store, clock, limits, events, configs, unknown, sessions);
  // Shared: every instance may serve an asset another fetched, from the catalogue's URL and checksum.
  const catalogue = store.shared ? new AssetCatalogue(store) : undefined;
  const assetCache = new AssetCache({ inUse: () => new Set(), ...assets, clock, catalogue });
  // With the cache on, arming fetches a config's files first; what armed configs boot is never evicted.
  const assetUse = assetCache.enabled
    ? armThroughAssets({ configs, boot, settings }, assetCache, assets.log)
    : undefined;
  if (assetUse) assetCache.inUse = assetUse.inUse;
  return {
    settings,
    events,
    machines,
    profiles,
    configs,
    renderer,
    configFiles,
    boot,
    piBoot: new PiBootService(store, events, clock, settings, machines, configs),
    tokens,
    commands,
    agents,
    agentSync: new AgentMemberSync(machines, intake, agents),
    agentReports: new AgentReports(clock, intake, credentials),
    commandPolls,
    sessions,
    conflicts,
    credentials,
    unknown,
    retention,
    stats: new CoreStats(store),
    storeStatus: new StoreStatus(store),
    dhcpLeases,
    timeline: new BootTimeline(store, events, clock, machines, (id) => unknown.isUnknown(id)),
    assets: assetCache,
    assetCatalog: new AssetService(
      assetCache,
      assetUse?.users ?? (() => new Map()),
      () => settings.publicUrl,
    ),
    power,
  };
}
