import type { BootSpec, ProvisioningFiles } from "../domain/boot-spec.js";
import { randomBytes, randomUUID } from "node:crypto";
import {
  HOLDING_STATES,
  stepConfig,
  type BootConfig,
  type ConfigInput,
  type ConfigState,
  windowPassed,
} from "../domain/boot-config.js";
import { EnforcerError } from "../domain/errors.js";
import { fileFormat } from "../domain/file-formats.js";
import type { MachineEvent, MachineEventKind } from "../domain/events.js";
import type { Machine } from "../domain/machine.js";
import { parseMac } from "../domain/mac.js";
import { familyBoot } from "../domain/os-families.js";
import type { Store, StoreOp } from "../store/store.js";
import { renderBootScript } from "../protocols/ipxe/config-script.js";
import { APKOVL_NAME, buildApkovl } from "./apkovl.js";
import { bootVars } from "./boot-vars.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import { COLLECTIONS } from "../store/collections.js";
import { type Clock, type CoreSettings } from "./ports.js";
import type { ProfileService } from "./profiles.js";
import { renderProvisioning } from "./provisioning.js";

/** What an operator gives to create a config: the machine, the profile and any extra variables. */
export interface ConfigInputs {
  machine: string;
  profile: string;
  variables?: Record<string, string>;
}

/** Boot configs: create, arm (render everything, so errors show now and not at boot), cancel, complete. */
export class ConfigService {
  private readonly holding = new Map<string, string>();
  private readonly bySecret = new Map<string, string>();
  /** Each machine's newest config, whatever its state: what the machine list shows as its state. */
  private readonly newest = new Map<string, BootConfig>();
  /** When each machine last booted a config, kept when a newer draft or a cancel hides it from `newest`. */
  private readonly booted = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly settings: CoreSettings,
    private readonly machines: MachineService,
    private readonly profiles: ProfileService,
  ) {
    for (const c of store.all<BootConfig>(COLLECTIONS.configs)) this.index(c);
  }

  /** The config by id; throws ENF_ERR_CONFIG_NOT_FOUND. */
  get(id: string): BootConfig {
    const c = this.store.get<BootConfig>(COLLECTIONS.configs, id);
    if (!c) throw new EnforcerError("ENF_ERR_CONFIG_NOT_FOUND", `no config ${id}`, { config: id });
    return c;
  }

  /** Configs, newest first, optionally for one machine or in one state. */
  list(filter: { machine?: string; state?: ConfigState } = {}): BootConfig[] {
    const machine = filter.machine ? parseMac(filter.machine) : undefined;
    return [...this.store.all<BootConfig>(COLLECTIONS.configs)]
      .filter(
        (c) => (!machine || c.machine === machine) && (!filter.state || c.lifecycle.state === filter.state),
      )
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  /** The armed or triggered config that holds a machine, if any. */
  holdingFor(machine: string): BootConfig | undefined {
    const id = this.holding.get(machine);
    return id ? this.store.get<BootConfig>(COLLECTIONS.configs, id) : undefined;
  }

  /** The machine's newest config in any state (what it last was told to boot), if it ever had one. */
  newestFor(machine: string): BootConfig | undefined {
    return this.newest.get(machine);
  }

  /** When the machine last booted (triggered) any config, if it ever did. */
  lastBootedAt(machine: string): string | undefined {
    return this.booted.get(machine);
  }

  /** The state of the machine's newest config, or "none" when it never had one. */
  stateOf(machine: string): ConfigState | "none" {
    return this.newest.get(machine)?.lifecycle.state ?? "none";
  }

  /** The config behind a secret URL, if the secret is known. */
  bySecretToken(secret: string): BootConfig | undefined {
    const id = this.bySecret.get(secret);
    return id ? this.store.get<BootConfig>(COLLECTIONS.configs, id) : undefined;
  }

  /** True when a draft, armed or triggered config uses the profile. */
  usesProfile(name: string): boolean {
    for (const c of this.store.all<BootConfig>(COLLECTIONS.configs)) {
      if (c.profile === name && ["draft", "armed", "triggered"].includes(c.lifecycle.state)) return true;
    }
    return false;
  }

  /** Creates a draft config; an unknown MAC becomes a pre-registered machine. */
  async create(input: ConfigInputs): Promise<BootConfig> {
    this.profiles.get(input.profile);
    const now = this.clock.now().toISOString();
    // The new machine (if any) is stored in the same commit as the config: all or nothing.
    const { machine, ops, events } = this.machines.ensureOps(parseMac(input.machine), now);
    ops.push(...this.machines.keepOps(machine));
    const c: BootConfig = {
      id: randomUUID(),
      machine: machine.id,
      profile: input.profile,
      variables: { ...input.variables },
      secret: randomBytes(24).toString("base64url"),
      createdAt: now,
      lifecycle: { state: "draft" },
    };
    await this.commitWith(c, "config.created", now, { ops, events });
    return c;
  }

  /** Renders the config from its profile and the machine's facts and arms it for exactly one boot. */
  async arm(id: string): Promise<BootConfig> {
    const c = this.get(id);
    const now = this.clock.now().toISOString();
    const step = stepConfig(c.lifecycle, { type: "arm", at: now });
    const other = this.holdingFor(c.machine);
    if (other && other.id !== c.id) {
      throw new EnforcerError(
        "ENF_ERR_CONFIG_ALREADY_ARMED",
        `machine ${c.machine} already has config ${other.id}`,
        {
          machine: c.machine,
          config: other.id,
        },
      );
    }
    const machine = this.machines.get(c.machine);
    // A draft outlives its machine (forgotten, or merged away): its MAC may now be one of another machine's
    // NICs. Armed under the old id it would render that machine's facts and never be served to anyone.
    if (machine.id !== c.machine) {
      throw new EnforcerError(
        "ENF_ERR_MACHINE_NOT_FOUND",
        `config ${c.id} is for machine ${c.machine}, which is gone (its MAC is now ${machine.id}'s); create a new config`,
        { machine: c.machine, holder: machine.id },
      );
    }
    const rendered = this.render(c, machine);
    const next: BootConfig = { ...c, ...rendered, lifecycle: step.next };
    await this.commitWith(next, "config.armed", now);
    return next;
  }

  /** Cancels a draft, armed or triggered config. */
  async cancel(id: string): Promise<BootConfig> {
    return this.apply(this.get(id), { type: "cancel", at: this.clock.now().toISOString() });
  }

  /** The completion callback: the provisioning script says it is done. */
  async complete(secret: string): Promise<BootConfig> {
    return this.apply(this.activeSecret(secret, true), {
      type: "complete",
      at: this.clock.now().toISOString(),
    });
  }

  /** A rendered provisioning file, served only while the config is triggered. */
  file(secret: string, name: string): string {
    const c = this.activeSecret(secret, false);
    const text = c.files && Object.hasOwn(c.files, name) ? c.files[name] : undefined;
    if (text === undefined)
      throw new EnforcerError("ENF_ERR_HTTP_NOT_FOUND", `config has no file ${name}`, { file: name });
    return text;
  }

  /** A file as bytes: the rendered text, or for alpine the overlay packed from its script. */
  async download(secret: string, name: string): Promise<string | Buffer> {
    if (name === APKOVL_NAME) return buildApkovl(this.file(secret, "provision.sh"));
    return this.file(secret, name);
  }

  /**
   * The machine's fetch of its script. Synchronous up to the commit, so of any number of concurrent
   * fetches exactly one sees `armed` and triggers it; the rest are retries (or too late).
   */
  fetchOps(
    c: BootConfig,
    at: string,
  ): { serve: boolean; next: BootConfig; ops: StoreOp[]; events: MachineEvent[] } {
    const step = stepConfig(c.lifecycle, { type: "fetch", at, retryWindowMs: this.settings.retryWindowMs });
    const next = { ...c, lifecycle: step.next };
    if (!step.event) return { serve: step.serve, next, ops: [], events: [] };
    const r = this.events.record(`config.${step.event}` as MachineEventKind, c.machine, at, { config: c.id });
    this.index(next);
    return { serve: step.serve, next, ops: [this.putOp(next), r.op], events: [r.event] };
  }

  /** Expires every triggered config whose retry window has passed; run periodically. */
  async expireDue(): Promise<number> {
    const now = this.clock.now();
    let n = 0;
    for (const id of [...this.holding.values()]) {
      const c = this.get(id);
      if (!windowPassed(c.lifecycle, now.toISOString(), this.settings.retryWindowMs)) continue;
      await this.apply(c, { type: "expire", at: now.toISOString() });
      n++;
    }
    return n;
  }

  /** Renders a profile against a machine without storing anything: what arming would produce. */
  preview(profile: string, machine: string, variables: Record<string, string> = {}) {
    const m = this.machines.get(machine);
    const draft: BootConfig = {
      id: "preview",
      machine: m.id,
      profile,
      variables,
      secret: "preview-secret",
      createdAt: this.clock.now().toISOString(),
      lifecycle: { state: "draft" },
    };
    const r = this.render(draft, m);
    return {
      ...r,
      scripts: {
        pcbios: renderBootScript(r.spec, { platform: "pcbios", label: draft.id }),
        efi: renderBootScript(r.spec, { platform: "efi", label: draft.id }),
      },
    };
  }

  /** Renders the script for a config that is being served. */
  script(c: BootConfig, platform: string | undefined): string {
    if (!c.spec) throw new EnforcerError("ENF_ERR_SERVER_INTERNAL", `config ${c.id} has no rendered spec`);
    return renderBootScript(c.spec, { platform, label: c.id });
  }

  private render(c: BootConfig, machine: Machine): { spec: BootSpec; files: ProvisioningFiles } {
    const profile = this.profiles.get(c.profile);
    const vars = bootVars(this.settings, machine, profile, c);
    const fb = familyBoot(profile, vars);
    const context = { ...vars, facts: machine.facts, labels: machine.labels };
    const files: Record<string, string> = {};
    for (const [name, template] of Object.entries(fb.files))
      files[name] = renderProvisioning(name, template, context, fileFormat(profile.family, name, template));
    for (const platform of ["pcbios", "efi"]) renderBootScript(fb.spec, { platform, label: c.id });
    return { spec: fb.spec, files };
  }

  private activeSecret(secret: string, allowExpired: boolean): BootConfig {
    const c = this.bySecretToken(secret);
    const s = c?.lifecycle.state;
    if (!c || !(s === "triggered" || (allowExpired && s === "expired"))) {
      throw new EnforcerError("ENF_ERR_BOOT_SECRET_UNKNOWN", "no active config behind this URL");
    }
    return c;
  }

  private async apply(c: BootConfig, input: ConfigInput): Promise<BootConfig> {
    const step = stepConfig(c.lifecycle, input);
    const next = { ...c, lifecycle: step.next };
    await this.commitWith(next, `config.${step.event}` as MachineEventKind, input.at);
    return next;
  }

  private async commitWith(
    c: BootConfig,
    kind: MachineEventKind,
    at: string,
    before: { ops: StoreOp[]; events: MachineEvent[] } = { ops: [], events: [] },
  ): Promise<void> {
    const r = this.events.record(kind, c.machine, at, { config: c.id });
    this.index(c);
    await this.store.commit([...before.ops, this.putOp(c), r.op]);
    this.events.publish([...before.events, r.event]);
  }

  /**
   * Retention: forgets finished configs from the indexes and answers the ops that delete them. A machine
   * whose newest config goes gets its newest remaining one (or none) as its state.
   */
  forgetOps(ids: readonly string[]): StoreOp[] {
    const ops: StoreOp[] = [];
    const orphaned = new Set<string>();
    for (const id of ids) {
      const c = this.store.get<BootConfig>(COLLECTIONS.configs, id);
      if (!c || HOLDING_STATES.includes(c.lifecycle.state) || c.lifecycle.state === "draft") continue;
      this.bySecret.delete(c.secret);
      if (this.newest.get(c.machine)?.id === c.id) {
        this.newest.delete(c.machine);
        orphaned.add(c.machine);
      }
      ops.push({ op: "del", collection: COLLECTIONS.configs, id });
    }
    if (orphaned.size === 0) return ops;
    const gone = new Set(ids);
    for (const c of this.store.all<BootConfig>(COLLECTIONS.configs)) {
      if (!orphaned.has(c.machine) || gone.has(c.id)) continue;
      const n = this.newest.get(c.machine);
      if (!n || n.createdAt <= c.createdAt) this.newest.set(c.machine, c);
    }
    return ops;
  }

  /** Cancels a forgotten machine's drafts (never pruned, they kept their profile in use for good). */
  cancelDraftsOps(machine: string, at: string): { ops: StoreOp[]; events: MachineEvent[] } {
    const ops: StoreOp[] = [];
    const events: MachineEvent[] = [];
    for (const c of [...this.store.all<BootConfig>(COLLECTIONS.configs)]) {
      if (c.machine !== machine || c.lifecycle.state !== "draft") continue;
      const next: BootConfig = { ...c, lifecycle: stepConfig(c.lifecycle, { type: "cancel", at }).next };
      const r = this.events.record("config.cancelled", machine, at, { config: c.id });
      this.index(next);
      ops.push(this.putOp(next), r.op);
      events.push(r.event);
    }
    return { ops, events };
  }

  /**
   * A merge: the drafts of the machine merged away move to the machine that stays (armed and triggered
   * ones refuse the merge), so arming one later holds the machine that now has those MACs.
   */
  moveDraftsOps(from: string, to: string): StoreOp[] {
    const ops: StoreOp[] = [];
    for (const c of this.store.all<BootConfig>(COLLECTIONS.configs)) {
      if (c.machine !== from || c.lifecycle.state !== "draft") continue;
      const moved: BootConfig = { ...c, machine: to };
      if (this.newest.get(from)?.id === c.id) this.newest.delete(from);
      this.index(moved);
      ops.push(this.putOp(moved));
    }
    return ops;
  }

  private putOp(c: BootConfig): StoreOp {
    return { op: "put", collection: COLLECTIONS.configs, id: c.id, value: c };
  }

  private index(c: BootConfig): void {
    this.bySecret.set(c.secret, c.id);
    const l = c.lifecycle;
    const at = "triggeredAt" in l ? l.triggeredAt : undefined;
    if (at && !((this.booted.get(c.machine) ?? "") >= at)) this.booted.set(c.machine, at);
    const newest = this.newest.get(c.machine);
    if (!newest || newest.id === c.id || newest.createdAt <= c.createdAt) this.newest.set(c.machine, c);
    if (HOLDING_STATES.includes(c.lifecycle.state)) this.holding.set(c.machine, c.id);
    else if (this.holding.get(c.machine) === c.id) this.holding.delete(c.machine);
  }
}
