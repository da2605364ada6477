import type { Logger } from "pino";
import type { Settings } from "../config/settings.js";
import type { Core } from "../core/create-core.js";
import { alwaysLeader, type Leadership } from "../store/election.js";

/**
 * Adds the configured agent systems and runs their loop: sync members and inventory every
 * `--agent-interval` seconds, and deliver queued commands at once when one is queued (through any instance:
 * the event reaches every instance's listeners). Passes never overlap; with several instances, only the
 * leader's run.
 * The adapters are loaded only when one is configured: most servers run without Serf or Consul.
 */
export async function startAgents(
  settings: Readonly<Settings>,
  core: Core,
  log: Logger,
  /** With several instances, only the leader syncs members and delivers (docs/store.md). */
  leader: Leadership = alwaysLeader.campaign("jobs"),
): Promise<{ stop: () => Promise<void> }> {
  if (settings.serf.length === 0 && !settings.consul) return { stop: async () => {} };
  const { SerfAgent } = await import("../agents/serf/serf-agent.js");
  const { ConsulAgent } = await import("../agents/consul/consul-agent.js");
  const serf = settings.serf.map((addr) => {
    const i = addr.lastIndexOf(":");
    return new SerfAgent({
      host: addr.slice(0, i).replace(/^\[|\]$/g, ""),
      port: Number(addr.slice(i + 1)),
      authKey: settings.serfAuth,
    });
  });
  const consul = settings.consul
    ? [new ConsulAgent({ url: settings.consul, token: settings.consulToken })]
    : [];
  for (const a of [...serf, ...consul]) core.agents.add(a);

  let running: Promise<void> | null = null;
  let again = false;
  const pass = async () => {
    // One instance talks to the agent systems for all: every instance syncing would write each member's
    // machine as many times. Delivery is once across instances anyway (a command's send expects it queued).
    if (!leader.isLeader()) return;
    for (const r of await core.agentSync.syncAll()) {
      if (r.errors.length > 0) log.warn({ agent: r.agent, errors: r.errors }, "agent sync had errors");
      else log.debug({ agent: r.agent, members: r.members, machines: r.machines }, "agent sync");
    }
    const delivered = await core.commands.deliverQueued();
    if (delivered > 0) log.info({ delivered }, "commands delivered");
  };
  const run = () => {
    if (running) {
      again = true;
      return;
    }
    running = pass()
      .catch((err) => log.error({ err }, "agent pass failed"))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const timer = setInterval(run, settings.agentInterval * 1000);
  timer.unref();
  const unsubscribe = core.events.subscribe((e) => {
    if (e.kind === "command.queued") run();
  });
  run();
  return {
    stop: async () => {
      clearInterval(timer);
      unsubscribe();
      await running;
      await Promise.all(serf.map((a) => a.close()));
    },
  };
}
