import type { AgentMember, AgentPort } from "../../core/agent-port.js";
import type { Delivery } from "../../core/command-executor.js";
import { SerfRpc, type SerfRpcOptions } from "./rpc-client.js";

/** Query deadlines: serf always waits the whole timeout, so keep them short but above handler run time. */
const INVENTORY_TIMEOUT_MS = 2000;
const REBOOT_TIMEOUT_MS = 3000;

/**
 * A serf cluster as an agent system, through one agent's RPC. A member's identity comes from its `mac`
 * tag (a comma-separated list is accepted) and from the `inventory` query; reboot is the `reboot` query
 * (handlers in agents/serf/). The connection is opened on first use and again after it breaks.
 */
export class SerfAgent implements AgentPort {
  readonly id: string;
  private rpc: Promise<SerfRpc> | undefined;

  constructor(private readonly opts: SerfRpcOptions) {
    this.id = `serf:${opts.host}:${opts.port}`;
  }

  async members(): Promise<AgentMember[]> {
    const list = await this.withRpc((rpc) => rpc.members());
    return list.map((m) => ({
      name: m.name,
      macs: (m.tags.mac ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      alive: m.status === "alive",
    }));
  }

  async inventory(member: AgentMember): Promise<unknown> {
    const r = await this.withRpc((rpc) =>
      rpc.query({ name: "inventory", nodes: [member.name], timeoutMs: INVENTORY_TIMEOUT_MS }),
    );
    const reply = r.responses.find((x) => x.from === member.name);
    if (!reply) throw new Error(`no inventory answer from ${member.name} within ${INVENTORY_TIMEOUT_MS} ms`);
    return JSON.parse(new TextDecoder().decode(reply.payload)) as unknown;
  }

  async reboot(member: AgentMember): Promise<Delivery> {
    const r = await this.withRpc((rpc) =>
      rpc.query({ name: "reboot", nodes: [member.name], requestAck: true, timeoutMs: REBOOT_TIMEOUT_MS }),
    );
    const reply = r.responses.find((x) => x.from === member.name);
    if (reply) {
      const text = new TextDecoder().decode(reply.payload).trim();
      return text.startsWith("ok")
        ? { state: "acknowledged", detail: text }
        : { state: "failed", detail: text };
    }
    return r.acks.includes(member.name)
      ? { state: "timed-out", detail: "the member received the query but its reboot handler did not answer" }
      : { state: "timed-out", detail: "the member did not receive the query" };
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    const rpc = await this.rpc?.catch(() => undefined);
    rpc?.close();
  }

  private async withRpc<T>(fn: (rpc: SerfRpc) => Promise<T>): Promise<T> {
    this.rpc ??= SerfRpc.connect(this.opts);
    try {
      return await fn(await this.rpc);
    } catch (err) {
      this.rpc = undefined; // reconnect next time
      throw err;
    }
  }
}
