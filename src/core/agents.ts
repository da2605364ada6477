import type { Command } from "../domain/command.js";
import type { Store } from "../store/store.js";
import type { AgentCredential, AgentCredentials } from "./agent-credentials.js";
import { AgentMemberSync, type SyncReport } from "./agent-member-sync.js";
import type { AgentPort } from "./agent-port.js";
import { AgentReach } from "./agent-reach.js";
import { AgentReports } from "./agent-reports.js";
import { CommandPolls } from "./command-polls.js";
import type { CommandExecutor } from "./command-executor.js";
import type { EventLog } from "./event-log.js";
import type { IntakeResult, MachineIntake } from "./machine-intake.js";
import type { MachineService } from "./machines.js";
import type { OpenCommands } from "./open-commands.js";
import type { Clock } from "./ports.js";

/**
 * The agents' entry point for the transports: it only hands each call to the file whose job it is (member
 * sync, JSON-agent reports, command polls) so callers keep one name, `core.agents`.
 */
export class AgentService {
  private readonly reach = new AgentReach();
  private readonly sync: AgentMemberSync;
  private readonly reports: AgentReports;
  private readonly polls: CommandPolls;

  constructor(
    store: Store,
    events: EventLog,
    clock: Clock,
    machines: MachineService,
    intake: MachineIntake,
    credentials: AgentCredentials,
    open: OpenCommands,
  ) {
    this.sync = new AgentMemberSync(machines, intake, this.reach);
    this.reports = new AgentReports(clock, intake, credentials);
    this.polls = new CommandPolls(store, events, clock, open);
  }

  /** The agent systems as a command executor: the agent that last saw a machine reboots it. */
  get executor(): CommandExecutor {
    return this.reach;
  }

  /** Adds an agent system. */
  add(port: AgentPort): void {
    this.reach.add(port);
  }

  /** Agent ids and how many machines each reaches, for the API and metrics. */
  list(): { id: string; machines: number }[] {
    return this.reach.list();
  }

  /** Lists every agent's members, creates or updates their machines and fetches inventory for new ones. */
  syncAll(): Promise<SyncReport[]> {
    return this.sync.syncAll();
  }

  /** A JSON agent's inventory report (agent-reports.ts). */
  report(credential: AgentCredential, macs: string[], inventory: unknown): Promise<IntakeResult> {
    return this.reports.report(credential, macs, inventory);
  }

  /** A JSON agent's long poll for its machine's queued commands (command-polls.ts). */
  takeCommands(
    agent: string,
    machine: string,
    waitMs: number,
    signal?: AbortSignal,
    stillSpeaks?: () => boolean,
  ): Promise<Command[]> {
    return this.polls.takeCommands(agent, machine, waitMs, signal, stillSpeaks);
  }

  /** A JSON agent's outcome of a command it took (command-polls.ts). */
  acknowledge(machine: string, id: string, ok: boolean, detail: string): Promise<Command> {
    return this.polls.acknowledge(machine, id, ok, detail);
  }
}
