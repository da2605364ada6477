import { diagnoseAttempt, QUIET_MS, type AttemptDiagnosis } from "../domain/boot-hints.js";
import {
  addStep,
  DEFAULT_TIMELINE_CAPS,
  type BootAttempt,
  type DhcpStep,
  type HttpStep,
  type MachineTimeline,
  type ProvisionStep,
  type TftpStep,
  type TimelineCaps,
  type TimelineStep,
} from "../domain/boot-timeline.js";
import type { MachineEvent } from "../domain/events.js";
import { tryParseMac, type Mac } from "../domain/mac.js";
import type { Store } from "../store/store.js";
import { ChangeSet, type ChangePart } from "./change-set.js";
import type { EventLog } from "./event-log.js";
import type { MachineService } from "./machines.js";
import type { Clock } from "./ports.js";
import { AttemptRecorder } from "./boot-attempt-record.js";

/** What an edge reports, without the time and count the service adds. */
type Input<T> = T & { ip?: string; mac?: string };

/** Bounds beyond one timeline's: how many MACs and addresses are followed at once. */
export interface TimelineLimits extends TimelineCaps {
  /** MACs with a live timeline; past it the least recently active is forgotten. */
  maxMachines: number;
  /** Steps held in all timelines; past it the least recently active MACs are forgotten too. */
  maxSteps: number;
  /** Client addresses mapped to a MAC (from DHCP and the machine script's query). */
  maxAddresses: number;
  /** Addresses holding steps not yet attributed to a MAC, and steps held per address. */
  maxOrphanAddresses: number;
  orphanSteps: number;
}

/**
 * Defaults: 512 MACs, 8000 steps in all, 4096 addresses, 512 x 4 unattributed steps. Measured with every name
 * at its longest and every budget full: 6.3 MiB of heap.
 */
export const DEFAULT_TIMELINE_LIMITS: TimelineLimits = {
  ...DEFAULT_TIMELINE_CAPS,
  maxMachines: 512,
  maxSteps: 8000,
  maxAddresses: 4096,
  maxOrphanAddresses: 512,
  orphanSteps: 4,
};

/** Counts for /metrics: what is kept and what the caps dropped. */
export interface TimelineStats {
  machines: number;
  steps: number;
  addresses: number;
  orphanAddresses: number;
  droppedMachines: number;
  droppedOrphans: number;
  persisted: number;
  repeatsNotPersisted: number;
  /** Attempts of a known machine replaced while waiting for its write interval (never written). */
  waitingLost: number;
}

/** An attempt as the API shows it: the steps with their diagnosis. */
export interface PresentedAttempt extends AttemptDiagnosis {
  mac: string;
  n: number;
  startedAt: number;
  lastAt: number;
  droppedSteps: number;
  steps: TimelineStep[];
}

const CONFIG_KINDS = new Set(["config.triggered", "config.retried", "config.completed", "config.expired"]);

/**
 * Replaces control characters and caps length: names come from the network. C1 too (latin1 bytes 0x80-0x9f:
 * U+009B is CSI, an escape sequence in terminals that read UTF-8 C1, such as xterm) and the bidi overrides.
 */
function clean(s: string, max: number): string {
  // Most names are clean and short (every boot's own paths): tested first, not copied.
  if (s.length <= max && !CONTROLS.test(s)) return s;
  return s.replace(CONTROLS_ALL, "?").slice(0, max);
}
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const CONTROLS_ALL = new RegExp(CONTROLS.source, "g");

/** An address as one key: a dual-stack socket (`--listen ::`) names the IPv4 client DHCP saw `::ffff:a.b.c.d`. */
function addressKey(ip: string): string {
  return ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
}

/** Moves a key to the end of a Map (most recent) and evicts the oldest past `max`; returns evictions. */
function touch<K, V>(map: Map<K, V>, key: K, value: V, max: number): number {
  map.delete(key);
  map.set(key, value);
  let evicted = 0;
  while (map.size > max) {
    map.delete(map.keys().next().value as K);
    evicted++;
  }
  return evicted;
}

/**
 * The boot timeline per machine (issue 12): the edges report steps here, grouped into attempts by the pure
 * rules of domain/boot-timeline.ts. Everything lives in memory under hard caps (an attacker on the boot
 * network can invent MACs and addresses); what is persisted is one `boot.attempt` event per finished attempt
 * of a known machine (AttemptRecorder), never per packet. TFTP and `boot.ipxe` know only the client's
 * address: their steps wait under it (bounded) until DHCP or the machine script names its MAC.
 */
export class BootTimeline {
  private readonly timelines = new Map<string, MachineTimeline>();
  /**
   * Steps held in all: the memory budget (512 full timelines would be ~60 MB). A timeline's own count is
   * summed from its few attempts when needed, not kept in a second map (one less entry per MAC).
   */
  private totalSteps = 0;
  private readonly macByIp = new Map<string, string>();
  private readonly orphans = new Map<string, TimelineStep[]>();
  private readonly recorder: AttemptRecorder;
  /** The lastAt at which settle last looked at an attempt. */
  private readonly settled = new WeakMap<BootAttempt, number>();
  private droppedMachines = 0;
  private droppedOrphans = 0;

  constructor(
    store: Store,
    events: EventLog,
    private readonly clock: Clock,
    private readonly machines: MachineService,
    isUnknown: (id: string) => boolean,
    private readonly limits: TimelineLimits = DEFAULT_TIMELINE_LIMITS,
  ) {
    this.recorder = new AttemptRecorder(
      events,
      () => new ChangeSet(store, events),
      (mac) => machines.find(mac as Mac)?.id,
      (id) => !isUnknown(id),
    );
    events.subscribe((e) => this.configEvent(e));
    events.accompany((list) => this.completing(list));
  }

  /** A DHCP exchange (the proxy's, or the server mode's): what the client said and what it got. */
  dhcp(r: Input<DhcpStep>): void {
    const mac = r.mac ? tryParseMac(r.mac) : undefined;
    if (!mac) return;
    if (r.ip && r.ip !== "0.0.0.0") this.mapIp(r.ip, mac);
    // A plain client (an OS renewing its lease) is no boot, and a REQUEST to the site's server is the
    // firmware's address exchange, not ours: both only tell us the client's address.
    if (r.client === "not-pxe" || r.skip === "not-for-proxy") return;
    const { ip: _ip, mac: _mac, ...step } = r;
    this.add(mac, {
      ...step,
      ...(step.vendorClass ? { vendorClass: clean(step.vendorClass, 64) } : {}),
      ...(step.offered ? { offered: clean(step.offered, 128) } : {}),
      at: this.now(),
      count: 1,
    });
  }

  /** A TFTP transfer as it ended; attributed by the client's address. */
  tftp(r: Input<TftpStep>): void {
    const { ip, mac: _mac, ...step } = r;
    const s: TimelineStep = {
      ...step,
      file: clean(step.file, 64),
      ...(step.error ? { error: clean(step.error, 80) } : {}),
      at: this.now(),
      count: 1,
    };
    this.route(ip, undefined, s);
  }

  /** A boot HTTP request: the MAC when the request named one (machine script, a config's secret URL). */
  http(r: Input<HttpStep>): void {
    const mac = r.mac ? tryParseMac(r.mac) : undefined;
    // Built field by field, not by rest and spread: this runs for every boot request (docs/performance.md).
    const s: Extract<TimelineStep, { kind: "http" }> = {
      kind: "http",
      what: r.what,
      path: clean(r.path, 96),
      status: r.status,
      durationMs: r.durationMs,
      at: this.now(),
      count: 1,
    };
    if (r.bytes !== undefined) s.bytes = r.bytes;
    if (r.decision !== undefined) s.decision = r.decision;
    if (r.reason !== undefined) s.reason = clean(r.reason, 32);
    // Only the machine script's query names the booting NIC; a secret URL names the machine, not the address.
    const script = r.what === "machine-script" || r.what === "discovery-script";
    if (mac && r.ip && script) this.mapIp(r.ip, mac);
    // A secret URL names the machine (its primary MAC): its steps join the NIC it booted from.
    this.route(r.ip, mac && !script ? this.nicOf(mac) : mac, s);
  }

  /** The latest attempts of these MACs (a machine's NICs), newest last, with their diagnosis. */
  attempts(macs: readonly string[], limit = DEFAULT_TIMELINE_CAPS.attemptsPerMachine): PresentedAttempt[] {
    const now = this.now();
    const out: PresentedAttempt[] = [];
    for (const mac of macs)
      for (const a of this.timelines.get(mac)?.attempts ?? []) out.push(present(mac, a, now));
    return out.sort((a, b) => a.startedAt - b.startedAt).slice(-limit);
  }

  /**
   * The MAC behind an address, learnt before the step that names it is answered: from the host's ARP table
   * for a Raspberry Pi's TFTP read (a Pi never asks for the machine script, so without DHCP seen here nothing
   * else would name it), or from a machine script's query as it arrives, so that the steps waiting under the
   * address (the loader, boot.ipxe) join the MAC's attempt before the script's own decision (a trigger) does.
   */
  neighbour(ip: string, mac: string): void {
    const m = tryParseMac(mac);
    if (m) this.mapIp(ip, m);
  }

  /** Whether any of these MACs has a live timeline. */
  has(macs: readonly string[]): boolean {
    return macs.some((m) => this.timelines.has(m));
  }

  /** Persists attempts that went quiet (run from a timer: an attempt's end is mostly silence). */
  async settle(): Promise<void> {
    const now = this.now();
    await this.recorder.flush(now);
    for (const [mac, t] of this.timelines) {
      const a = t.attempts[t.attempts.length - 1];
      // Each quiet attempt is looked at once per change, not at every tick.
      if (!a || now - a.lastAt < QUIET_MS || this.settled.get(a) === a.lastAt) continue;
      this.settled.set(a, a.lastAt);
      this.recorder.record(mac, a, diagnoseAttempt(a, now), now);
    }
    // What the loop found goes in one commit.
    await this.recorder.drain();
  }

  /** Counts for /metrics. */
  stats(): TimelineStats {
    return {
      machines: this.timelines.size,
      steps: this.totalSteps,
      addresses: this.macByIp.size,
      orphanAddresses: this.orphans.size,
      droppedMachines: this.droppedMachines,
      droppedOrphans: this.droppedOrphans,
      persisted: this.recorder.persisted,
      repeatsNotPersisted: this.recorder.repeats,
      waitingLost: this.recorder.deferredLost,
    };
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  private mapIp(raw: string, mac: string): void {
    const ip = addressKey(raw);
    touch(this.macByIp, ip, mac, this.limits.maxAddresses);
    // Steps that waited under this address belong to this MAC's boot: they came first.
    const waiting = this.orphans.get(ip);
    if (!waiting) return;
    this.orphans.delete(ip);
    for (const s of waiting) if (this.now() - s.at <= this.limits.idleMs) this.add(mac, s);
  }

  private route(raw: string | undefined, mac: string | undefined, s: TimelineStep): void {
    const ip = raw === undefined ? undefined : addressKey(raw);
    const owner = mac ?? (ip ? this.macByIp.get(ip) : undefined);
    if (owner) return this.add(owner, s);
    if (!ip) return;
    const list = this.orphans.get(ip) ?? [];
    list.push(s);
    if (list.length > this.limits.orphanSteps) {
      list.shift();
      this.droppedOrphans++;
    }
    this.droppedOrphans += touch(this.orphans, ip, list, this.limits.maxOrphanAddresses);
  }

  private add(mac: string, s: TimelineStep): void {
    let t = this.timelines.get(mac);
    if (t) this.timelines.delete(mac);
    // A new MAC's list is made holding nothing yet; addStep gives it its first attempt.
    else t = { mac, attempts: [], droppedAttempts: 0 };
    this.timelines.set(mac, t);
    const before = stepsOf(t);
    const { attempt, ended } = addStep(t, s, this.limits);
    this.totalSteps += stepsOf(t) - before;
    // The least recently active MACs go while over either budget (never the one that just moved).
    while (
      this.timelines.size > this.limits.maxMachines ||
      (this.totalSteps > this.limits.maxSteps && this.timelines.size > 1)
    ) {
      const [oldest, gone] = this.timelines.entries().next().value as [string, MachineTimeline];
      this.timelines.delete(oldest);
      this.totalSteps -= stepsOf(gone);
      this.droppedMachines++;
    }
    const now = this.now();
    // The attempt a new one ended is over whatever it shows; the current one is recorded once it reached an
    // end (fell through, provisioned, stopped at a failure), the rest when it goes quiet (settle).
    if (ended) void this.recorder.record(mac, ended, diagnoseAttempt(ended, Number.MAX_SAFE_INTEGER), now);
    const d = diagnoseAttempt(attempt, now);
    if (d.outcome === "fell-through" || d.outcome === "provisioned" || d.outcome === "stopped")
      void this.recorder.record(mac, attempt, d, now);
  }

  /** Config lifecycle events join the attempt of the NIC that booted the machine most recently. */
  private configEvent(e: MachineEvent): void {
    if (!CONFIG_KINDS.has(e.kind)) return;
    this.add(this.nicOf(e.machine), provisionStep(e, this.now()));
  }

  /**
   * A completion about to be committed ends its attempt as provisioned: the attempt's summary goes in the
   * same commit (one fdatasync, not two), worked out on a copy with the completion's step added. When the
   * completion is published and its step joins the live attempt, the same summary is not written again.
   */
  private completing(list: readonly MachineEvent[]): ChangePart | undefined {
    const part: ChangePart = { ops: [], events: [] };
    const now = this.now();
    for (const e of list) {
      if (e.kind !== "config.completed") continue;
      const mac = this.nicOf(e.machine);
      const t = this.timelines.get(mac);
      if (!t) continue;
      const copy: MachineTimeline = {
        ...t,
        attempts: t.attempts.map((a) => ({ ...a, steps: a.steps.map((s) => ({ ...s })) })),
      };
      const { attempt, ended } = addStep(copy, provisionStep(e, now), this.limits);
      const d = diagnoseAttempt(attempt, now);
      // A completion that starts an attempt of its own (its boot long quiet) is left to the usual path.
      if (ended || d.outcome !== "provisioned") continue;
      const p = this.recorder.partOf(mac, attempt, d, now);
      if (!p) continue;
      part.ops.push(...p.ops);
      part.events.push(...p.events);
    }
    return part.ops.length > 0 ? part : undefined;
  }

  /** Of a machine's MACs, the one whose timeline moved last (the NIC it booted from); else the id itself. */
  private nicOf(id: string): string {
    const macs = this.machines.find(id as Mac)?.macs ?? [id];
    let best: { mac: string; at: number } | undefined;
    for (const mac of macs) {
      const at = this.timelines.get(mac)?.attempts.at(-1)?.lastAt;
      if (at !== undefined && (!best || at > best.at)) best = { mac, at };
    }
    // Nothing seen of it yet (a config triggered before any step): its primary MAC.
    return best?.mac ?? id;
  }
}

/** Steps held in a timeline (at most attemptsPerMachine attempts). */
function stepsOf(t: MachineTimeline): number {
  let n = 0;
  for (const a of t.attempts) n += a.steps.length;
  return n;
}

/** A config lifecycle event as a timeline step. */
function provisionStep(e: MachineEvent, at: number): TimelineStep {
  const step: ProvisionStep = { kind: "provision", event: e.kind, ...(e.config ? { config: e.config } : {}) };
  return { ...step, at, count: 1 };
}

/** An attempt with its diagnosis, its steps copied (the live ones keep changing). */
function present(mac: string, a: BootAttempt, now: number): PresentedAttempt {
  return {
    mac,
    n: a.n,
    startedAt: a.startedAt,
    lastAt: a.lastAt,
    droppedSteps: a.droppedSteps,
    steps: a.steps.map((s) => ({ ...s })),
    ...diagnoseAttempt(a, now),
  };
}
