import type { Store } from "../store/store.js";
import { AgentCredentials } from "./agent-credentials.js";
import { AgentSessionService } from "./agent-sessions.js";
import { AgentService } from "./agents.js";
import { BootService } from "./boot-service.js";
import { CommandService } from "./commands.js";
import { ConfigService } from "./configs.js";
import { ConflictService } from "./conflicts.js";
import { EventLog } from "./event-log.js";
import { MachineIntake } from "./machine-intake.js";
import { MachineService } from "./machines.js";
import { systemClock, type Clock, type CoreSettings } from "./ports.js";
import { ProfileService } from "./profiles.js";
import { RuntimeSettingsService } from "./runtime-settings.js";
import { TokenService } from "./tokens.js";

/** The core's services wired over one store; the transports (HTTP, later TFTP and agents) use only this. */
export interface Core {
  settings: CoreSettings;
  events: EventLog;
  machines: MachineService;
  profiles: ProfileService;
  configs: ConfigService;
  boot: BootService;
  tokens: TokenService;
  commands: CommandService;
  runtime: RuntimeSettingsService;
  agents: AgentService;
  sessions: AgentSessionService;
  conflicts: ConflictService;
  credentials: AgentCredentials;
}

/** Builds the core over a store, rebuilding every in-memory index from what the store holds. */
export function createCore(store: Store, settings: CoreSettings, clock: Clock = systemClock): Core {
  const runtime = new RuntimeSettingsService(store, settings);
  const events = new EventLog(store);
  const machines = new MachineService(store, events, clock);
  // The profile service asks the config service (called later, at delete time) whether a profile is in use.
  const profiles: ProfileService = new ProfileService(store, clock, (name): boolean =>
    configs.usesProfile(name),
  );
  const configs: ConfigService = new ConfigService(store, events, clock, settings, machines, profiles);
  const sessions = new AgentSessionService(store, clock);
  const boot = new BootService(store, events, clock, settings, machines, configs, sessions);
  const tokens = new TokenService(store, clock);
  const commands = new CommandService(store, events, clock, machines);
  const credentials = new AgentCredentials(store, machines);
  const conflicts = new ConflictService(
    store,
    events,
    clock,
    machines,
    credentials,
    (id) => configs.holdingFor(id) !== undefined,
  );
  const intake = new MachineIntake(store, events, clock, machines, conflicts);
  const agents = new AgentService(store, events, clock, machines, intake, credentials);
  return {
    settings,
    events,
    machines,
    profiles,
    configs,
    boot,
    tokens,
    commands,
    runtime,
    agents,
    sessions,
    conflicts,
    credentials,
  };
}
