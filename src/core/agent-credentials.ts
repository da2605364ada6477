import { EnforcerError } from "../domain/errors.js";
import { tryParseMac, type Mac } from "../domain/mac.js";
import type { Machine } from "../domain/machine.js";
import type { Role } from "../domain/token.js";
import type { Store, StoreOp } from "../store/store.js";
import type { MachineService } from "./machines.js";
import { COLLECTIONS } from "../store/collections.js";

/** Who speaks on the JSON agent routes: a discovery image's key, or an API token (role agent or admin). */
export type AgentCredential =
  | {
      kind: "discovery";
      mac: Mac;
      issuedAt?: string;
      /** the machine the key was issued for (absent: its MAC's) */ machine?: string;
    }
  | { kind: "token"; id: string; name: string; role: Role };

/** The agent a discovery key reports as: anyone on the boot network can get such a key for any MAC. */
export const DISCOVERY_AGENT = "json:discovery";

/** An agent-role token's machine: fixed by the token's first report, for as long as the token lives. */
export interface AgentBinding {
  token: string;
  machine: string;
  at: string;
}

/**
 * Which machine an agent credential speaks for. A discovery key speaks for the MAC that booted; an agent
 * token for the machine it first reported for (bound then, never changed by a later report); an admin token,
 * trusted anyway, for the machine it names. A credential never chooses another machine afterwards.
 */
export class AgentCredentials {
  constructor(
    private readonly store: Store,
    private readonly machines: MachineService,
    /** When the machine last booted a config (its newest config's triggeredAt), if it ever did. */
    private readonly bootedAt: (machine: string) => string | undefined = () => undefined,
    /** The machine a machine was merged into by an operator, if it was (its discovery key follows). */
    private readonly mergedInto: (machine: string) => string | undefined = () => undefined,
  ) {}

  /** The agent system a credential reports as, recorded on the machine (`json:discovery`, `json:<name>`). */
  agentId(c: AgentCredential): string {
    return c.kind === "discovery" ? DISCOVERY_AGENT : `json:${c.name}`;
  }

  /** The credential in words, for conflict records. */
  describe(c: AgentCredential): string {
    return c.kind === "discovery" ? `discovery key for ${c.mac}` : `${c.role} token ${c.id} (${c.name})`;
  }

  /** The machine an agent token is bound to, if it has reported before. */
  boundMachine(tokenId: string): string | undefined {
    return this.store.get<AgentBinding>(COLLECTIONS.agentBindings, tokenId)?.machine;
  }

  /**
   * The MAC (a machine's id, or a new machine's) a report speaks for, and the op that binds an agent token
   * on its first report. Throws ENF_ERR_AUTH_FORBIDDEN when the credential may not speak for any of them.
   */
  forReport(c: AgentCredential, macs: Mac[], at: string): { self: Mac; ops: StoreOp[] } {
    if (c.kind === "discovery") {
      if (!macs.includes(c.mac)) {
        throw new EnforcerError("ENF_ERR_AUTH_FORBIDDEN", `this agent key speaks only for ${c.mac}`, {
          mac: c.mac,
        });
      }
      return { self: this.discoverySelf(c), ops: [] };
    }
    const first = this.machines.find(macs[0]!)?.id ?? macs[0]!;
    if (c.role !== "agent") return { self: first, ops: [] };
    const bound = this.boundMachine(c.id);
    if (bound !== undefined) return { self: this.boundSelf(c, bound), ops: [] };
    // Trust on first use takes only a machine no live agent token speaks for: else a second host's token
    // could name the first host's MAC and report its facts, and poll and acknowledge its commands.
    const holder = this.liveBindings().find((b) => b.machine === first);
    if (holder) {
      throw new EnforcerError(
        "ENF_ERR_AUTH_FORBIDDEN",
        `machine ${first} already has agent token ${holder.token}; revoke it, or create this token with --machine`,
        { machine: first, token: holder.token },
      );
    }
    const binding: AgentBinding = { token: c.id, machine: first, at };
    return {
      self: first,
      ops: [{ op: "put", collection: COLLECTIONS.agentBindings, id: c.id, value: binding }],
    };
  }

  /**
   * The machine id a poll or an acknowledgement is for. A discovery key: its own; an agent token: `?mac=`,
   * which must be its bound machine's; an admin token: whichever machine `?mac=` names.
   */
  forCommands(c: AgentCredential, mac: string | undefined): string {
    if (c.kind === "discovery") return this.discoverySelf(c);
    if (!mac) throw new EnforcerError("ENF_ERR_MAC_INVALID", "an agent token must name the machine: ?mac=");
    const parsed = tryParseMac(mac);
    if (!parsed) throw new EnforcerError("ENF_ERR_MAC_INVALID", "?mac= is not a MAC address");
    const named = this.machines.find(parsed)?.id ?? parsed;
    if (c.role !== "agent") return named;
    const bound = this.boundMachine(c.id);
    if (bound === undefined) {
      throw new EnforcerError(
        "ENF_ERR_AUTH_FORBIDDEN",
        "this agent token has not reported yet: its first report binds it to its machine",
        { token: c.id },
      );
    }
    if (named !== this.boundSelf(c, bound)) {
      throw new EnforcerError("ENF_ERR_AUTH_FORBIDDEN", `this agent token speaks only for ${bound}`, {
        machine: bound,
      });
    }
    return named;
  }

  /**
   * Binds an agent token to a machine at its creation, so not even its first report can choose: the machine
   * that holds `mac`, or the machine `mac` will be. Throws ENF_ERR_TOKEN_INVALID for other roles.
   */
  async bind(token: { id: string; role: Role }, mac: Mac, at: string): Promise<string> {
    if (token.role !== "agent")
      throw new EnforcerError("ENF_ERR_TOKEN_INVALID", "only an agent token is bound to a machine");
    const machine = this.machines.find(mac)?.id ?? mac;
    const binding: AgentBinding = { token: token.id, machine, at };
    await this.store.commit([
      { op: "put", collection: COLLECTIONS.agentBindings, id: token.id, value: binding },
    ]);
    return machine;
  }

  /** Bindings of tokens not revoked (a revoked token's binding stays behind but speaks for nobody). */
  private liveBindings(): AgentBinding[] {
    return [...this.store.all<AgentBinding>(COLLECTIONS.agentBindings)].filter((b) =>
      this.store.get(COLLECTIONS.tokens, b.token),
    );
  }

  /** Ops moving every token bound to `from` over to `to` (a merge: the reporting record goes away). */
  rebindOps(from: string, to: string): StoreOp[] {
    return [...this.store.all<AgentBinding>(COLLECTIONS.agentBindings)]
      .filter((b) => b.machine === from)
      .map((b) => ({
        op: "put" as const,
        collection: COLLECTIONS.agentBindings,
        id: b.token,
        value: { ...b, machine: to },
      }));
  }

  /**
   * The machine a discovery key speaks for: the one it was issued for (or the one an operator merged that
   * into). Once its MAC has joined another machine (a report listed it as a NIC), it speaks for none: anyone
   * can take a key for a MAC nobody has yet and wait for a real machine to claim it. The key was on an open
   * boot route, so anyone who saw it could speak for the machine for 24 hours: once the machine has booted a
   * config after the key was issued, discovery is over and the key is refused too.
   */
  private discoverySelf(c: AgentCredential & { kind: "discovery" }): Mac {
    const now = this.machines.find(c.mac)?.id ?? c.mac;
    let issued = c.machine ?? c.mac;
    const chain = [issued];
    for (let hops = 0; issued !== now && hops < 8; hops++) {
      const next = this.mergedInto(issued);
      if (!next) break;
      chain.push((issued = next));
    }
    if (issued !== now) {
      throw new EnforcerError(
        "ENF_ERR_AUTH_FORBIDDEN",
        `this agent key was issued for ${c.machine ?? c.mac}; its MAC ${c.mac} now belongs to machine ${now}`,
        { mac: c.mac, machine: now },
      );
    }
    // Any machine along the merges counts: the one the key was issued for may have booted its config before
    // an operator merged it into one that never did.
    const booted = chain
      .map((m) => this.bootedAt(m))
      .reduce((a, b) => (b !== undefined && (a === undefined || b > a) ? b : a), undefined);
    if (booted && c.issuedAt && booted > c.issuedAt) {
      throw new EnforcerError(
        "ENF_ERR_AUTH_FORBIDDEN",
        `machine ${now} has booted its config since this discovery key was issued; the key has ended`,
        { machine: now },
      );
    }
    return now as Mac;
  }

  /** The bound machine as it is now: gone and its MAC since taken by another machine means refused. */
  private boundSelf(c: AgentCredential & { kind: "token" }, bound: string): Mac {
    if (this.store.get<Machine>(COLLECTIONS.machines, bound)) return bound as Mac;
    const owner = this.machines.find(bound as Mac);
    if (owner) {
      throw new EnforcerError(
        "ENF_ERR_AUTH_FORBIDDEN",
        `this agent token's machine ${bound} is gone and its MAC belongs to ${owner.id}; create a new token`,
        { token: c.id, machine: bound },
      );
    }
    return bound as Mac;
  }
}
