import type { BootIdentity, Machine } from "../domain/machine.js";
import type { BootSpec } from "../domain/boot-spec.js";
import type { Mac } from "../domain/mac.js";
import { imageName } from "../domain/os-families.js";
import { renderBootScript } from "../protocols/ipxe/config-script.js";
import {
  checkDiscoveryUrl,
  renderDiscoveryScript,
  renderGeneralScript,
} from "../protocols/ipxe/general-script.js";
import type { AgentSessionService } from "./agent-sessions.js";
import type { Store, StoreOp } from "../store/store.js";
import type { ConfigService } from "./configs.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import type { Clock, CoreSettings } from "./ports.js";
import type { UnknownMachines } from "./unknown-machines.js";

/** What the per-machine endpoint answers: a script to boot, or nothing (iPXE falls through). */
export type BootAnswer =
  | { kind: "config"; script: string; config: string }
  | { kind: "discovery"; script: string }
  | { kind: "none"; reason: "no-config" | "window-passed" };

/** A known machine's last-seen time is rewritten at most this often, so boot storms do not become writes. */
const SEEN_WRITE_INTERVAL_MS = 60_000;

/** The boot decision: armed config first, then discovery for unknown machines, else fall through. */
export class BootService {
  private general = { self: "", script: "" };

  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly settings: CoreSettings,
    private readonly machines: MachineService,
    private readonly configs: ConfigService,
    private readonly sessions: AgentSessionService,
    private readonly unknown: UnknownMachines,
  ) {}

  /** The general script, rendered again only when the public URL or the remotes change. */
  generalScript(): string {
    const key = `${this.settings.publicUrl} ${this.settings.remotes.join(" ")}`;
    if (this.general.self !== key) {
      const script = renderGeneralScript({ self: this.settings.publicUrl, remotes: this.settings.remotes });
      this.general = { self: key, script };
    }
    return this.general.script;
  }

  /** Throws ENF_ERR_IPXE_UNSAFE_VALUE if these remotes could not go into the general script. */
  checkRemotes(remotes: string[]): void {
    renderGeneralScript({ self: this.settings.publicUrl, remotes });
  }

  /** Throws ENF_ERR_IPXE_UNSAFE_VALUE if the discovery script URL could not be chained from a script. */
  checkDiscoveryUrl(url: string): void {
    checkDiscoveryUrl(url);
  }

  /**
   * Answers a machine's request for its own script; records it as seen. Everything the request writes (the
   * seen record, a trigger, a discovery key, unknown machines it pushes out) goes in one commit.
   */
  async machineScript(who: BootIdentity): Promise<BootAnswer> {
    const at = this.clock.now().toISOString();
    const before = this.machines.find(who.mac);
    const seen = this.machines.seenOps(who);
    const ops = needsSeenWrite(before, seen.machine)
      ? [...seen.ops, ...this.unknown.touchOps(seen.machine)]
      : [];
    const events = [...seen.events];
    let answer: BootAnswer = { kind: "none", reason: "no-config" };
    let failure: { err: unknown } | undefined;

    const held = this.configs.holdingFor(seen.machine.id);
    if (held) {
      const f = this.configs.fetchOps(held, at);
      ops.push(...f.ops);
      events.push(...f.events);
      answer = f.serve
        ? { kind: "config", script: this.configs.script(held, who.platform), config: held.id }
        : { kind: "none", reason: "window-passed" };
    } else if (this.wantsDiscovery(seen.machine)) {
      // The machine is recorded even when discovery fails (a URL stored before it was checked, say).
      try {
        const d = this.discovery(seen.machine.id, who.platform, seen.machine.id);
        ops.push(...d.ops);
        answer = d.answer;
      } catch (err) {
        failure = { err };
      }
    }
    if (ops.length > 0) await this.store.commit(ops);
    this.events.publish(events);
    if (failure) throw failure.err;
    return answer;
  }

  /**
   * The discovery step of the general script: only for unknown machines, only when discovery is on. It
   * records no machine: asking it for random MACs costs at most a (bounded) discovery session each.
   */
  async discoveryScript(who: BootIdentity): Promise<BootAnswer> {
    const m = this.machines.find(who.mac);
    if (m && this.configs.holdingFor(m.id)) return { kind: "none", reason: "no-config" };
    if (!this.wantsDiscovery(m)) return { kind: "none", reason: "no-config" };
    const d = this.discovery(who.mac, who.platform, m?.id ?? who.mac);
    if (d.ops.length > 0) await this.store.commit(d.ops);
    return d.answer;
  }

  private wantsDiscovery(m: Machine | undefined): boolean {
    return (
      this.settings.discovery &&
      !!(this.settings.discoveryUrl || this.settings.discoveryKernel) &&
      (!m || Object.keys(m.facts).length === 0)
    );
  }

  /**
   * The discovery boot: Enforcer's own image with a machine-scoped agent key on its command line (the same
   * key again for a repeated request of the same boot), or the configured discovery script URL. Answers the
   * ops that store a new key; the caller commits them.
   */
  private discovery(
    mac: Mac,
    platform: string | undefined,
    machine: string,
  ): { answer: BootAnswer; ops: StoreOp[] } {
    const { discoveryKernel: kernel, discoveryInitrd: initrd } = this.settings;
    if (!kernel) {
      const script = renderDiscoveryScript(this.settings.discoveryUrl!, mac);
      return { answer: { kind: "discovery", script }, ops: [] };
    }
    // A key issued before the machine last booted a config has ended: a new discovery boot gets a new one.
    const { session, ops } = this.sessions.issueOps(mac, machine, this.configs.lastBootedAt(machine));
    const spec: BootSpec = {
      kind: "linux",
      kernel,
      args: [
        "console=tty0",
        "console=ttyS0,115200n8",
        "quiet",
        `enforcer.url=${this.settings.publicUrl}`,
        `enforcer.key=${session.key}`,
      ],
      initrds: initrd ? [{ url: initrd, name: imageName(initrd) }] : [],
    };
    const script = renderBootScript(spec, { platform, label: "discovery" });
    return { answer: { kind: "discovery", script }, ops };
  }
}

function needsSeenWrite(before: Machine | undefined, after: Machine): boolean {
  if (!before) return true;
  if (before.arch !== after.arch || before.platform !== after.platform) return true;
  if (before.uuid !== after.uuid || before.serial !== after.serial) return true;
  return Date.parse(after.lastSeen) - Date.parse(before.lastSeen) >= SEEN_WRITE_INTERVAL_MS;
}
