import { randomBytes, randomUUID } from "node:crypto";
import {
  HOLDING_STATES,
  stepConfig,
  type BootConfig,
  type ConfigInput,
  type ConfigState,
  windowPassed,
} from "../domain/boot-config.js";
import { EnforcerError, isEnforcerError } from "../domain/errors.js";
import type { MachineEventKind } from "../domain/events.js";
import { parseMac } from "../domain/mac.js";
import type { Machine } from "../domain/machine.js";
import { PI_SERIAL_LABEL } from "../domain/pi-boot.js";
import type { Store, StoreOp } from "../store/store.js";
import { specAssetIds, type AssetArming } from "./asset-arming.js";
import { ChangeSet, type ChangePart } from "./change-set.js";
import { ConfigIndex } from "./config-index.js";
import type { ConfigRenderer } from "./config-render.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import { COLLECTIONS } from "../store/collections.js";
import { type Clock, type CoreSettings } from "./ports.js";
import type { ProfileService } from "./profiles.js";

/** What an operator gives to create a config: the machine, the profile and any extra variables. */
export interface ConfigInputs {
  machine: string;
  profile: string;
  variables?: Record<string, string>;
}

/**
 * The boot configs' lifecycle: create, arm (render everything, so errors show now and not at boot),
 * cancel, complete, expire, and the machine's fetch that triggers one. Rendering is the renderer's job,
 * serving the files ConfigFiles'; the indexes follow the store's change feed (ConfigIndex).
 */
export class ConfigService {
  private readonly index: ConfigIndex;
  private assets: AssetArming | undefined;

  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly settings: CoreSettings,
    private readonly machines: MachineService,
    private readonly profiles: ProfileService,
    private readonly renderer: ConfigRenderer,
  ) {
    this.index = new ConfigIndex(store);
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
    const id = this.index.holdingId(machine);
    return id ? this.store.get<BootConfig>(COLLECTIONS.configs, id) : undefined;
  }

  /** The machine's newest config in any state (what it last was told to boot), if it ever had one. */
  newestFor(machine: string): BootConfig | undefined {
    return this.index.newestFor(machine);
  }

  /** When the machine last booted (triggered) any config, if it ever did. */
  lastBootedAt(machine: string): string | undefined {
    return this.index.bootedAt(machine);
  }

  /** The state of the machine's newest config, or "none" when it never had one. */
  stateOf(machine: string): ConfigState | "none" {
    return this.index.newestFor(machine)?.lifecycle.state ?? "none";
  }

  /** The config behind a secret URL, if the secret is known. */
  bySecretToken(secret: string): BootConfig | undefined {
    const id = this.index.secretId(secret);
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

  /**
   * Arms through the boot asset cache from now on: arming fetches the spec's http(s) kernel and initrds
   * first and the spec names Enforcer's copies. Unset (`--asset-cache-size 0`), URLs stay as they are.
   */
  useAssets(assets: AssetArming | undefined): void {
    this.assets = assets;
    this.renderer.urlsCached = assets !== undefined;
  }

  /** The cached assets armed and triggered configs boot from: asset id → config ids (never evicted). */
  assetUsers(): Map<string, string[]> {
    const users = new Map<string, string[]>();
    for (const id of this.index.holdingIds()) {
      const c = this.store.get<BootConfig>(COLLECTIONS.configs, id);
      for (const asset of specAssetIds(c?.spec)) users.set(asset, [...(users.get(asset) ?? []), id]);
    }
    return users;
  }

  /**
   * Renders the config from its profile and the machine's facts and arms it for exactly one boot. With the
   * asset cache, the spec's remote files are fetched and checked first; an upstream failure fails the arm.
   */
  async arm(id: string): Promise<BootConfig> {
    const first = this.armable(this.get(id));
    let rendered = this.renderer.render(first.c, first.machine);
    // The files are held from before their download until the commit names them (or the arm fails).
    const release = this.assets && rendered.spec ? this.assets.hold(rendered.spec) : () => {};
    try {
      if (this.assets && rendered.spec) {
        const pi = first.machine.labels[PI_SERIAL_LABEL] !== undefined;
        const checksums = this.profiles.get(first.c.profile).checksums;
        const spec = await this.assets.localize(rendered.spec, pi ? "tftp" : "http", checksums);
        rendered = { ...rendered, spec };
      }
      // The fetch took a while: the config (cancelled, armed by another request) or the machine may have
      // changed meanwhile, so the checks run again, synchronously up to the commit, on what is current.
      const { c, step, now, machine } = this.armable(this.get(id));
      const next: BootConfig = { ...c, ...rendered, lifecycle: step.next };
      await this.commitWith(next, "config.armed", now, this.holdOps(machine), c);
      return next;
    } finally {
      release();
    }
  }

  /**
   * With a shared store, arming also rewrites the machine as read and expects it unchanged: two instances
   * arming two configs of one machine at once both saw no other holder, and only this makes one of them
   * lose (ENF_ERR_STORE_CONFLICT). One process checks and commits in one synchronous step: nothing to add.
   */
  private holdOps(machine: Machine): ChangePart | undefined {
    if (!this.store.shared) return undefined;
    return {
      ops: [this.machines.putOp({ ...machine })],
      events: [],
      expects: [{ collection: COLLECTIONS.machines, id: machine.id, value: machine }],
    };
  }

  /** Whether the config may be armed now: its state, no other config holding its machine, the machine. */
  private armable(c: BootConfig) {
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
    return { c, step, now, machine };
  }

  /** Cancels a draft, armed or triggered config. */
  async cancel(id: string): Promise<BootConfig> {
    return this.apply(this.get(id), { type: "cancel", at: this.clock.now().toISOString() });
  }

  /** The completion callback: the provisioning script says it is done. */
  async complete(secret: string): Promise<BootConfig> {
    return this.apply(this.activeBySecret(secret, true), {
      type: "complete",
      at: this.clock.now().toISOString(),
    });
  }

  /**
   * The machine's fetch of its script. Synchronous up to the commit, so of any number of concurrent
   * fetches exactly one sees `armed` and triggers it; the rest are retries (or too late).
   */
  fetchOps(c: BootConfig, at: string): { serve: boolean; next: BootConfig; change: ChangePart } {
    const step = stepConfig(c.lifecycle, { type: "fetch", at, retryWindowMs: this.settings.retryWindowMs });
    const next = { ...c, lifecycle: step.next };
    const change = new ChangeSet(this.store, this.events);
    if (!step.event) return { serve: step.serve, next, change };
    // The trigger holds only if no other request or instance changed the config since it was read.
    change.expect(COLLECTIONS.configs, c.id, c).op(putOp(next));
    change.event(`config.${step.event}` as MachineEventKind, c.machine, at, { config: c.id });
    return { serve: step.serve, next, change };
  }

  /** Expires every triggered config whose retry window has passed; run periodically. */
  async expireDue(): Promise<number> {
    const now = this.clock.now();
    let n = 0;
    for (const id of this.index.holdingIds()) {
      const c = this.get(id);
      if (!windowPassed(c.lifecycle, now.toISOString(), this.settings.retryWindowMs)) continue;
      try {
        await this.apply(c, { type: "expire", at: now.toISOString() });
      } catch (err) {
        // Another instance expired (or completed, cancelled) it first: nothing left to do here.
        if (isEnforcerError(err, "ENF_ERR_STORE_CONFLICT")) continue;
        throw err;
      }
      n++;
    }
    return n;
  }

  /** The config behind a secret URL while it is triggered (or expired, when `allowExpired`). */
  activeBySecret(secret: string, allowExpired: boolean): BootConfig {
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
    await this.commitWith(next, `config.${step.event}` as MachineEventKind, input.at, undefined, c);
    return next;
  }

  private async commitWith(
    c: BootConfig,
    kind: MachineEventKind,
    at: string,
    before: ChangePart = { ops: [], events: [] },
    read?: BootConfig,
  ): Promise<void> {
    const change = new ChangeSet(this.store, this.events).include(before).op(putOp(c));
    // A step from a state read earlier applies only if that state is still the stored one (another
    // request or instance may have moved the config meanwhile): else ENF_ERR_STORE_CONFLICT, a 409.
    if (read) change.expect(COLLECTIONS.configs, read.id, read);
    change.event(kind, c.machine, at, { config: c.id });
    await change.commit();
  }

  /**
   * Retention: the ops that delete finished configs (never a draft, armed or triggered one). The indexes
   * forget them when they are applied: a machine whose newest config goes gets its newest remaining one.
   */
  forgetOps(ids: readonly string[]): StoreOp[] {
    const ops: StoreOp[] = [];
    for (const id of ids) {
      const c = this.store.get<BootConfig>(COLLECTIONS.configs, id);
      if (!c || HOLDING_STATES.includes(c.lifecycle.state) || c.lifecycle.state === "draft") continue;
      ops.push({ op: "del", collection: COLLECTIONS.configs, id });
    }
    return ops;
  }

  /** Cancels a forgotten machine's drafts (never pruned, they kept their profile in use for good). */
  cancelDraftsOps(machine: string, at: string): ChangePart {
    const change = new ChangeSet(this.store, this.events);
    for (const c of [...this.store.all<BootConfig>(COLLECTIONS.configs)]) {
      if (c.machine !== machine || c.lifecycle.state !== "draft") continue;
      const next: BootConfig = { ...c, lifecycle: stepConfig(c.lifecycle, { type: "cancel", at }).next };
      change.op(putOp(next)).event("config.cancelled", machine, at, { config: c.id });
    }
    return change;
  }

  /**
   * A merge: the drafts of the machine merged away move to the machine that stays (armed and triggered
   * ones refuse the merge), so arming one later holds the machine that now has those MACs.
   */
  moveDraftsOps(from: string, to: string): StoreOp[] {
    const ops: StoreOp[] = [];
    for (const c of this.store.all<BootConfig>(COLLECTIONS.configs)) {
      if (c.machine !== from || c.lifecycle.state !== "draft") continue;
      ops.push(putOp({ ...c, machine: to }));
    }
    return ops;
  }
}

function putOp(c: BootConfig): StoreOp {
  return { op: "put", collection: COLLECTIONS.configs, id: c.id, value: c };
}
