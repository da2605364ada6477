import type { AgentMember, AgentPort } from "../../core/agent-port.js";
import type { Delivery } from "../../core/command-executor.js";
import { EnforcerError } from "../../domain/errors.js";

/** Where the Consul agent's HTTP API is, and its ACL token if it needs one. */
export interface ConsulOptions {
  url: string;
  token?: string;
  /** How long to wait for a member to acknowledge a command (default 5000 ms). */
  ackTimeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** KV prefixes of the protocol between Enforcer and the members' watch handlers (docs/agents.md). */
export const CONSUL_KV = {
  inventory: (node: string) => `enforcer/inventory/${node}`,
  command: (node: string, id: string) => `enforcer/commands/${node}/${id}`,
  ack: (id: string) => `enforcer/acks/${id}`,
};
/** The user event that tells a member to look at its command keys. */
export const CONSUL_EVENT = "enforcer-command";

/**
 * Consul as an agent system, over its HTTP API. Members are catalog nodes (identity from node meta `mac`),
 * alive per the agent's gossip view; a member's handler keeps its inventory under a KV key. A command is a
 * KV key created with `cas=0` (never overwriting one not yet taken), announced by a user event filtered to
 * that node; the member deletes the key and writes an acknowledgement key, which Enforcer waits for.
 */
export class ConsulAgent implements AgentPort {
  readonly id: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly o: ConsulOptions) {
    // The id is shown to viewers (machines, events, /agents): never the user:password a URL may carry.
    this.id = `consul:${o.url
      .replace(/^https?:\/\//, "")
      .replace(/^[^/@]*@/, "")
      .replace(/\/+$/, "")}`;
    this.fetch = o.fetchImpl ?? fetch;
  }

  async members(): Promise<AgentMember[]> {
    const nodes = (await this.json("GET", "/v1/catalog/nodes")) as {
      Node: string;
      Meta?: Record<string, string>;
    }[];
    const gossip = (await this.json("GET", "/v1/agent/members")) as { Name: string; Status: number }[];
    const alive = new Set(gossip.filter((m) => m.Status === 1).map((m) => m.Name));
    return nodes.map((n) => ({
      name: n.Node,
      macs: (n.Meta?.mac ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      alive: alive.has(n.Node),
    }));
  }

  async inventory(member: AgentMember): Promise<unknown> {
    const text = await this.text("GET", `/v1/kv/${CONSUL_KV.inventory(member.name)}?raw`);
    return JSON.parse(text) as unknown;
  }

  async reboot(member: AgentMember): Promise<Delivery> {
    const id = crypto.randomUUID();
    const created = await this.text("PUT", `/v1/kv/${CONSUL_KV.command(member.name, id)}?cas=0`, "reboot");
    if (created.trim() !== "true") return { state: "failed", detail: "the command key already exists" };
    await this.text(
      "PUT",
      `/v1/event/fire/${CONSUL_EVENT}?node=${encodeURIComponent(`^${escapeRegex(member.name)}$`)}`,
      id,
    );
    const deadline = Date.now() + (this.o.ackTimeoutMs ?? 5000);
    while (Date.now() < deadline) {
      const ack = await this.text("GET", `/v1/kv/${CONSUL_KV.ack(id)}?raw`).catch(() => undefined);
      if (ack !== undefined)
        return ack.startsWith("ok")
          ? { state: "acknowledged", detail: ack.trim() }
          : { state: "failed", detail: ack.trim() };
      await new Promise((r) => setTimeout(r, 250));
    }
    return { state: "timed-out", detail: `no acknowledgement from ${member.name}` };
  }

  private async text(method: string, path: string, body?: string): Promise<string> {
    let res: Response;
    try {
      res = await this.fetch(new URL(path, this.o.url), {
        method,
        body,
        headers: this.o.token ? { "x-consul-token": this.o.token } : {},
      });
    } catch (err) {
      throw new EnforcerError(
        "ENF_ERR_CONSUL_HTTP",
        `cannot reach consul at ${this.o.url}: ${(err as Error).message}`,
      );
    }
    const text = await res.text();
    if (!res.ok)
      throw new EnforcerError(
        "ENF_ERR_CONSUL_HTTP",
        `consul ${method} ${path.split("?")[0]}: ${res.status} ${text.slice(0, 120)}`,
        { status: res.status },
      );
    return text;
  }

  private async json(method: string, path: string): Promise<unknown> {
    return JSON.parse(await this.text(method, path)) as unknown;
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
