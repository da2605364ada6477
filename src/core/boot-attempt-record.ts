import { diagnoseAttempt, type AttemptDiagnosis } from "../domain/boot-hints.js";
import { stepLabel, type BootAttempt } from "../domain/boot-timeline.js";
import type { ChangePart, ChangeSet } from "./change-set.js";
import type { EventLog } from "./event-log.js";

/** The longest persisted step path: a full attempt is summarised, not stored step by step. */
const MAX_PATH = 480;
/** A fall-through with the same steps as the last one recorded this recently is not written again. */
const REPEAT_MS = 24 * 3600_000;
/**
 * At most one write per machine this often (the boot service's last-seen interval): anyone on the boot network
 * can name a known machine's MAC and make attempts that differ, so a faster one waits (the newest replaces it).
 */
const MIN_WRITE_INTERVAL_MS = 60_000;

/**
 * What was last written for a machine: to write an attempt once, and a repeated fall-through not at all. Kept
 * as numbers and one string and changed in place: a repeated fall-through (every request of a known machine
 * booting its disk, past the live timelines' cap) looks it up and allocates nothing (docs/performance.md).
 */
interface Written {
  /** The attempt (MAC, number and start) the shape was written or skipped for. */
  mac: string;
  n: number;
  startedAt: number;
  shape: string;
  outcome: string;
  at: number;
}

/** One summary to write, gathered with the others of the same turn of the event loop. */
interface Summary {
  id: string;
  at: string;
  detail: Record<string, string | number | boolean>;
}

/**
 * Writes one compact `boot.attempt` event per finished attempt of a known machine (SD cards: nothing per
 * packet, nothing for invented MACs). An attempt is written again only when its steps changed (a config's
 * completion after it went quiet); a fall-through with the same steps as the machine's last recorded one
 * within a day writes nothing: a rack of known machines booting their disks through Enforcer every day adds
 * one event each per day, not one per boot.
 */
export class AttemptRecorder {
  /** Per machine id; bounded by the machines Enforcer knows (only known machines are written). */
  private readonly written = new Map<string, Written>();
  /** When each machine's last summary was written, and the attempt waiting for its interval to pass. */
  private readonly wroteAt = new Map<string, number>();
  private readonly waiting = new Map<string, { mac: string; a: BootAttempt }>();
  /** Summaries of this turn of the event loop, committed together at its end, and that commit. */
  private batch: Summary[] = [];
  private committing: Promise<void> | undefined;
  /** Every such commit not over yet (one gathering while another is written): what `drain` waits for. */
  private readonly unfinished = new Set<Promise<void>>();
  persisted = 0;
  repeats = 0;
  /** Attempts replaced while waiting, never written. */
  deferredLost = 0;

  constructor(
    private readonly events: EventLog,
    private readonly change: () => ChangeSet,
    /** The machine's id for a booting MAC, or nothing. */
    private readonly idOf: (mac: string) => string | undefined,
    /**
     * Whether that machine is known: not only anonymous clients spoke for it. Asked only before a write or a
     * first lookup, not for a repeat of what was written (it reads the machine's record: every request).
     */
    private readonly known: (id: string) => boolean,
  ) {}

  /**
   * Records the attempt if its machine is known and it says something not already written: synchronous (no
   * promise) when there is nothing to write, the common case. What is written goes in one commit with the
   * other summaries of this turn of the event loop (a boot storm's first requests: one commit for many, not
   * one each); the promise resolves once that commit is over.
   */
  record(mac: string, a: BootAttempt, d: AttemptDiagnosis, now: number): Promise<void> | undefined {
    const s = this.summary(mac, a, d, now);
    if (!s) return undefined;
    this.batch.push(s);
    if (this.committing) return this.committing;
    const p = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.commitBatch())
      .finally(() => this.unfinished.delete(p));
    this.unfinished.add(p);
    this.committing = p;
    return p;
  }

  /** Commits the gathered summaries at once. */
  private async commitBatch(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    this.committing = undefined;
    const c = this.change();
    for (const s of batch) c.event("boot.attempt", s.id, s.at, { detail: s.detail });
    // A failed write (disk full) loses this turn's summaries; the live timelines still have them.
    await c.commit().catch(() => undefined);
  }

  /** Resolves once the summaries gathered so far are committed. */
  async drain(): Promise<void> {
    await Promise.all(this.unfinished);
  }

  /**
   * The summary of an attempt that a change about to be committed will end (a config's completion), to go
   * in that change's commit; the same attempt is then not written again when the change is published.
   */
  partOf(mac: string, a: BootAttempt, d: AttemptDiagnosis, now: number): ChangePart | undefined {
    const s = this.summary(mac, a, d, now);
    if (!s) return undefined;
    const r = this.events.record("boot.attempt", s.id, s.at, { detail: s.detail });
    return { ops: [r.op], events: [r.event] };
  }

  /** What to write for the attempt, noted as written; nothing when it is not to be written now. */
  private summary(mac: string, a: BootAttempt, d: AttemptDiagnosis, now: number): Summary | undefined {
    if (d.outcome === "in-progress" || a.steps.length === 0) return undefined;
    const id = this.idOf(mac);
    if (!id) return undefined;
    const shape = shapeOfSteps(a);
    let last = this.written.get(id);
    if (!last) {
      if (!this.known(id)) return undefined;
      last = this.fromHistory(id);
      if (last) this.written.set(id, last);
    }
    const same = last !== undefined && last.mac === mac && last.n === a.n && last.startedAt === a.startedAt;
    if (last && same && last.shape === shape) return undefined;
    if (
      last &&
      d.outcome === "fell-through" &&
      last.outcome === "fell-through" &&
      last.shape === shape &&
      a.lastAt - last.at < REPEAT_MS
    ) {
      // Same steps, same end: the history already says it. Remember the attempt so the next pass skips quietly.
      if (!same) this.repeats++;
      last.mac = mac;
      last.n = a.n;
      last.startedAt = a.startedAt;
      return undefined;
    }
    // Known when written before, but it may be anonymous again since (deleted, then seen by a client only).
    if (!this.known(id)) return undefined;
    const wrote = this.wroteAt.get(id);
    if (wrote !== undefined && now - wrote < MIN_WRITE_INTERVAL_MS) {
      const before = this.waiting.get(id);
      if (before && before.a !== a) this.deferredLost++;
      this.waiting.set(id, { mac, a });
      return undefined;
    }
    this.waiting.delete(id);
    this.wroteAt.set(id, now);
    this.written.set(id, { mac, n: a.n, startedAt: a.startedAt, shape, outcome: d.outcome, at: a.lastAt });
    const path = a.steps.map((step) => stepLabel(step)).join(" > ");
    // What the event already says is left out (SD cards): the MAC when it is the machine's id, the stop
    // step when it is the path's last.
    const detail: Record<string, string | number | boolean> = {
      ...(mac === id ? {} : { mac }),
      attempt: a.n,
      started: new Date(a.startedAt).toISOString(),
      outcome: d.outcome,
      steps: a.steps.length,
      path: path.length > MAX_PATH ? `${path.slice(0, MAX_PATH - 1)}…` : path,
    };
    if (d.stop && d.stop !== stepLabel(a.steps.at(-1)!)) detail.stop = d.stop;
    if (d.hint) detail.hint = d.hint.code;
    if (a.droppedSteps > 0) detail.droppedSteps = a.droppedSteps;
    this.persisted++;
    return { id, at: new Date(a.lastAt).toISOString(), detail };
  }

  /** Writes the attempts that waited for their machine's interval, once it passed (from the settle timer). */
  async flush(now: number): Promise<void> {
    for (const [id, w] of [...this.waiting])
      if (now - (this.wroteAt.get(id) ?? 0) >= MIN_WRITE_INTERVAL_MS)
        this.record(w.mac, w.a, diagnoseAttempt(w.a, now), now);
    await this.drain();
  }

  /** The machine's newest recorded attempt after a restart (a repeated fall-through must stay unwritten). */
  private fromHistory(id: string): Written | undefined {
    const events = this.events.forMachine(id, 0, Number.MAX_SAFE_INTEGER);
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.kind !== "boot.attempt" || !e.detail) continue;
      return {
        mac: "",
        n: 0,
        startedAt: 0,
        shape: shapeOf(String(e.detail.path ?? "")),
        outcome: String(e.detail.outcome ?? ""),
        at: Date.parse(e.at),
      };
    }
    return undefined;
  }
}

/** A written path without its repeat counts (read back after a restart): what `shapeOfSteps` gives. */
function shapeOf(path: string): string {
  return path.replace(/ x\d+(?= > |$)/g, "").slice(0, MAX_PATH);
}

/** An attempt's path without repeat counts, built from the steps without a pattern to strip them. */
function shapeOfSteps(a: BootAttempt): string {
  let shape = stepLabel(a.steps[0]!, false);
  for (let i = 1; i < a.steps.length && shape.length < MAX_PATH; i++)
    shape += ` > ${stepLabel(a.steps[i]!, false)}`;
  return shape.length > MAX_PATH ? shape.slice(0, MAX_PATH) : shape;
}
