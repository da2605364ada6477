import { EnforcerError } from "../domain/errors.js";
import { sanitizeFacts } from "../domain/facts.js";
import { tryParseMac, type Mac } from "../domain/mac.js";
import type { AgentCredential, AgentCredentials } from "./agent-credentials.js";
import type { IntakeResult, MachineIntake } from "./machine-intake.js";
import type { Clock } from "./ports.js";

/** Inventory reports of Enforcer's JSON agent, turned into machine facts and identity claims. */
export class AgentReports {
  constructor(
    private readonly clock: Clock,
    private readonly intake: MachineIntake,
    private readonly credentials: AgentCredentials,
  ) {}

  /**
   * Enforcer's JSON agent reports an inventory for the machine its credential speaks for (a discovery key:
   * the MAC that booted; an agent token: the machine of its first report). The MACs named (validated) and the
   * inventory's UUID and serial join that machine unless another machine holds them: then they are a
   * conflict, listed in the answer.
   */
  async report(credential: AgentCredential, macs: string[], inventory: unknown): Promise<IntakeResult> {
    const parsed = macs.map((m) => tryParseMac(m)).filter((m): m is Mac => !!m);
    if (parsed.length === 0)
      throw new EnforcerError("ENF_ERR_MAC_INVALID", "a report must name at least one valid MAC");
    const facts = sanitizeFacts(inventory);
    const who = this.credentials.forReport(credential, parsed, this.clock.now().toISOString());
    return this.intake.apply({
      agent: this.credentials.agentId(credential),
      credential: this.credentials.describe(credential),
      self: who.self,
      macs: parsed,
      facts,
      ops: who.ops,
    });
  }
}
