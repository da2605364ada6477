import type { BootDecision, GeneralScriptInputs } from "../domain/boot-decision.js";
import { checkDiscoveryUrl, checkedBoot } from "../domain/boot-script-checks.js";
import type { BootConfig } from "../domain/boot-config.js";
import { EnforcerError } from "../domain/errors.js";
import type { BootIdentity, Machine } from "../domain/machine.js";
import type { BootSpec } from "../domain/boot-spec.js";
import type { Mac } from "../domain/mac.js";
import { imageName } from "../domain/os-families.js";
import type { AgentSessionService } from "./agent-sessions.js";
import type { AssetArming } from "./asset-arming.js";
import { rebaseSpec } from "./spec-rebase.js";
import { ChangeSet, type ChangePart } from "./change-set.js";
import type { Store, StoreOp } from "../store/store.js";
import type { ConfigService } from "./configs.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import type { Clock, CoreSettings } from "./ports.js";
import type { UnknownMachines } from "./unknown-machines.js";

/**
 * A known machine's last-seen time is rewritten at most this often (`--seen-interval`), so repeated boots do
 * not become writes on an SD card; the live boot timeline shows the boots in between.
 */
export const DEFAULT_SEEN_INTERVAL_MS = 600_000;

/**
 * The boot decision: armed config first, then discovery for unknown machines, else fall through. It answers
 * decisions and specs; the edges (HTTP, TFTP) render them as iPXE scripts.
 */
export class BootService {
  private assets: AssetArming | undefined;

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

  /** Boots the discovery image's remote files from the asset cache once fetched (unset: as they are). */
  useAssets(assets: AssetArming | undefined): void {
    this.assets = assets;
  }

  /** The cached discovery files (never evicted while discovery may boot them). */
  discoveryAssetIds(): string[] {
    const { discoveryKernel, discoveryInitrd } = this.settings;
    return this.assets?.discoveryIds([discoveryKernel, discoveryInitrd]) ?? [];
  }

  /** What the general script chains: this Enforcer's public URL, then the remotes, as they are now. */
  generalInputs(): GeneralScriptInputs {
    return { self: this.settings.publicUrl, remotes: this.settings.remotes };
  }

  /**
   * Whether `boot.ipxe` would send this known machine straight to its local disk: nothing armed or triggered,
   * no discovery and no remote Enforcer to ask. The DHCP answer uses it to give UEFI firmware no loader.
   */
  fallsThrough(m: Machine): boolean {
    return this.settings.remotes.length === 0 && !this.configs.holdingFor(m.id) && !this.wantsDiscovery(m);
  }

  /** Answers a machine's request for its own script; records it as seen (see `machineRequest`). */
  async machineScript(who: BootIdentity): Promise<BootDecision> {
    return (await this.machineRequest(who)).decision;
  }

  /**
   * Answers a machine's request for its own script and records it as seen; says whether anything was written.
   * Everything the request writes (the seen record, a trigger, a discovery key, unknown machines it pushes
   * out) goes in one commit. The common case of a boot storm, a known machine seen within `--seen-interval`
   * with nothing armed, is answered synchronously: no record is built to find that none is needed, no commit.
   */
  machineRequest(who: BootIdentity): MachineScriptAnswer | Promise<MachineScriptAnswer> {
    const known = this.machines.find(who.mac);
    const interval = this.settings.seenIntervalMs ?? DEFAULT_SEEN_INTERVAL_MS;
    let machine: Machine;
    let seenPart: ChangePart | undefined;
    if (known && seenIsFresh(known, who, this.clock.now().getTime(), interval)) machine = known;
    else {
      const seen = this.machines.seenOps(who);
      machine = seen.machine;
      seenPart = {
        ops: needsSeenWrite(known, seen.machine, interval)
          ? [...seen.ops, ...this.unknown.touchOps(seen.machine)]
          : [],
        events: seen.events,
      };
    }
    const held = this.configs.holdingFor(machine.id);
    if (!held && !this.wantsDiscovery(machine) && !seenPart?.ops.length && !seenPart?.events.length)
      return FELL_THROUGH;
    return this.decideAndCommit(who, machine, held, seenPart);
  }

  /**
   * The decision that writes: synchronous from its call up to the commit (an async function runs up to its
   * first await at once), so of concurrent fetches of one armed config exactly one sees `armed`.
   */
  private async decideAndCommit(
    who: BootIdentity,
    machine: Machine,
    held: BootConfig | undefined,
    seenPart: ChangePart | undefined,
  ): Promise<MachineScriptAnswer> {
    const change = new ChangeSet(this.store, this.events);
    if (seenPart) change.include(seenPart);
    let answer: BootDecision = NO_CONFIG;
    let failure: { err: unknown } | undefined;
    // Whether the answer stands only once written: a trigger or retry (of many fetches, one wins: by the
    // store's compare-and-swap, across instances too) or a discovery key the image will present.
    let needsWrite = false;
    if (held) {
      let f: ReturnType<ConfigService["fetchOps"]>;
      try {
        f = this.configs.fetchOps(held, this.clock.now().toISOString());
      } catch (err) {
        // No event seq left (a shared store unreachable for long): no trigger can be written.
        return unwritten(err, NO_CONFIG, held.id, true);
      }
      change.include(f.change);
      needsWrite = f.change.ops.length > 0;
      answer = f.serve
        ? configDecision(held, this.settings.publicUrl)
        : { kind: "none", reason: "window-passed" };
    } else if (this.wantsDiscovery(machine)) {
      // The machine is recorded even when discovery fails (a URL stored before it was checked, say).
      try {
        const d = this.discovery(machine.id, who.platform, machine.id);
        change.op(...d.ops);
        needsWrite = d.ops.length > 0;
        answer = d.answer;
      } catch (err) {
        failure = { err };
      }
    }
    try {
      await change.commit();
    } catch (err) {
      if (failure) throw failure.err;
      return unwritten(err, answer, needsWrite ? held?.id : undefined, needsWrite);
    }
    if (failure) throw failure.err;
    return { decision: answer, wrote: change.ops.length > 0 };
  }

  /**
   * The discovery step of the general script: only for unknown machines, only when discovery is on. It
   * records no machine: asking it for random MACs costs at most a (bounded) discovery session each.
   */
  async discoveryScript(who: BootIdentity): Promise<BootDecision> {
    const m = this.machines.find(who.mac);
    if (m && this.configs.holdingFor(m.id)) return { kind: "none", reason: "no-config" };
    if (!this.wantsDiscovery(m)) return { kind: "none", reason: "no-config" };
    const d = this.discovery(who.mac, who.platform, m?.id ?? who.mac);
    await new ChangeSet(this.store, this.events).op(...d.ops).commit();
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
   * ops that store a new key; the caller commits them. Both are checked here, before anything is stored,
   * so a boot that cannot be rendered issues no key.
   */
  private discovery(
    mac: Mac,
    platform: string | undefined,
    machine: string,
  ): { answer: BootDecision; ops: StoreOp[] } {
    const { discoveryKernel: kernel, discoveryInitrd: initrd } = this.settings;
    if (!kernel) {
      const url = checkDiscoveryUrl(this.settings.discoveryUrl!);
      return { answer: { kind: "discovery", boot: { kind: "chain", url, mac } }, ops: [] };
    }
    // A key issued before the machine last booted a config has ended: a new discovery boot gets a new one.
    const { session, ops } = this.sessions.issueOps(mac, machine, this.configs.lastBootedAt(machine));
    const local = (url: string) => this.assets?.discoveryUrl(url) ?? url;
    const spec: BootSpec = {
      kind: "linux",
      kernel: local(kernel),
      args: [
        "console=tty0",
        "console=ttyS0,115200n8",
        "quiet",
        `enforcer.url=${this.settings.publicUrl}`,
        `enforcer.key=${session.key}`,
      ],
      initrds: initrd ? [{ url: local(initrd), name: imageName(initrd) }] : [],
    };
    checkedBoot(spec, { platform, label: "discovery" });
    return { answer: { kind: "discovery", boot: { kind: "image", spec } }, ops };
  }
}

/** A machine script's decision and whether the request wrote anything (a state change: worth a log line). */
export interface MachineScriptAnswer {
  decision: BootDecision;
  wrote: boolean;
  /**
   * The store refused the request's commit (another instance triggered the config first, the shared store
   * has no quorum, the disk failed): its error code, and the config whose trigger was lost, if one was.
   */
  unwritten?: { code: string; config?: string };
}

/**
 * The answer when the request's commit failed. A trigger or a discovery key that was not written is not
 * served: the machine falls through (the answer of nothing armed) and iPXE goes on down the chain and
 * retries, so a config is never served twice. Anything else (a retry inside the window, nothing to boot)
 * is answered from memory: a lost "seen" stamp must not stop a boot while the store is down.
 */
function unwritten(
  err: unknown,
  answer: BootDecision,
  config: string | undefined,
  needsWrite: boolean,
): MachineScriptAnswer {
  const code = err instanceof EnforcerError ? err.code : "ENF_ERR_SERVER_INTERNAL";
  return {
    decision: needsWrite ? NO_CONFIG : answer,
    wrote: false,
    unwritten: config === undefined ? { code } : { code, config },
  };
}

const NO_CONFIG: BootDecision = Object.freeze({ kind: "none", reason: "no-config" });
/** The fall-through answer, one object for every request that needs no write. */
const FELL_THROUGH: MachineScriptAnswer = Object.freeze({ decision: NO_CONFIG, wrote: false });

/**
 * Serving an armed config: its spec was checked (for both platforms) when it was armed; armed through
 * another instance, it names this one's URL instead (spec-rebase.ts).
 */
function configDecision(c: BootConfig, self: string): BootDecision {
  const spec = rebaseSpec(c, self);
  if (!spec) throw new EnforcerError("ENF_ERR_SERVER_INTERNAL", `config ${c.id} has no rendered spec`);
  return { kind: "config", config: c.id, spec };
}

/**
 * Whether a known machine's request would change nothing: what it reports is what is stored (a UUID or serial
 * it adds takes the full path, which checks whether another machine holds it) and it was seen within the
 * interval. Exactly the cases in which `needsSeenWrite` of the full path says no, without building the record.
 */
function seenIsFresh(m: Machine, who: BootIdentity, nowMs: number, intervalMs: number): boolean {
  return (
    (who.arch === undefined || who.arch === m.arch) &&
    (who.platform === undefined || who.platform === m.platform) &&
    (who.uuid === undefined || m.uuid !== undefined) &&
    (who.serial === undefined || m.serial !== undefined) &&
    nowMs - Date.parse(m.lastSeen) < intervalMs
  );
}

function needsSeenWrite(before: Machine | undefined, after: Machine, intervalMs: number): boolean {
  if (!before) return true;
  if (before.arch !== after.arch || before.platform !== after.platform) return true;
  if (before.uuid !== after.uuid || before.serial !== after.serial) return true;
  return Date.parse(after.lastSeen) - Date.parse(before.lastSeen) >= intervalMs;
}
