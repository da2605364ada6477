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

/** What was last written for a machine: to write an attempt once, and a repeated fall-through not at all. */
interface Written {
  /** The attempt (MAC and number) and the shape written for it. */
  key: string;
  shape: string;
  outcome: string;
  at: number;
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
  persisted = 0;
  repeats = 0;
  /** Attempts replaced while waiting, never written. */
  deferredLost = 0;

  constructor(
    private readonly events: EventLog,
    private readonly change: () => ChangeSet,
    /** The known machine's id for a booting MAC, or nothing (unknown, or only anonymous clients spoke for it). */
    private readonly known: (mac: string) => string | undefined,
  ) {}

  /** Records the attempt if its machine is known and it says something not already written. */
  async record(mac: string, a: BootAttempt, d: AttemptDiagnosis, now: number): Promise<void> {
    const s = this.summary(mac, a, d, now);
    if (!s) return;
    const c = this.change();
    c.event("boot.attempt", s.id, s.at, { detail: s.detail });
    // A failed write (disk full) loses one summary; the live timeline still has it.
    await c.commit().catch(() => undefined);
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
  private summary(
    mac: string,
    a: BootAttempt,
    d: AttemptDiagnosis,
    now: number,
  ): { id: string; at: string; detail: Record<string, string | number | boolean> } | undefined {
    if (d.outcome === "in-progress" || a.steps.length === 0) return undefined;
    const id = this.known(mac);
    if (!id) return undefined;
    const key = `${mac}#${a.n}@${a.startedAt}`;
    const path = a.steps.map(stepLabel).join(" > ");
    const shape = shapeOf(path);
    const last = this.written.get(id) ?? this.fromHistory(id);
    if (last && last.key === key && last.shape === shape) return undefined;
    if (
      last &&
      d.outcome === "fell-through" &&
      last.outcome === "fell-through" &&
      last.shape === shape &&
      a.lastAt - last.at < REPEAT_MS
    ) {
      // Same steps, same end: the history already says it. Remember the key so the next pass skips quietly.
      if (last.key !== key) this.repeats++;
      this.written.set(id, { ...last, key });
      return undefined;
    }
    const wrote = this.wroteAt.get(id);
    if (wrote !== undefined && now - wrote < MIN_WRITE_INTERVAL_MS) {
      const before = this.waiting.get(id);
      if (before && before.a !== a) this.deferredLost++;
      this.waiting.set(id, { mac, a });
      return undefined;
    }
    this.waiting.delete(id);
    this.wroteAt.set(id, now);
    this.written.set(id, { key, shape, outcome: d.outcome, at: a.lastAt });
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
        await this.record(w.mac, w.a, diagnoseAttempt(w.a, now), now);
  }

  /** The machine's newest recorded attempt after a restart (a repeated fall-through must stay unwritten). */
  private fromHistory(id: string): Written | undefined {
    const events = this.events.forMachine(id, 0, Number.MAX_SAFE_INTEGER);
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.kind !== "boot.attempt" || !e.detail) continue;
      return {
        key: "",
        shape: shapeOf(String(e.detail.path ?? "")),
        outcome: String(e.detail.outcome ?? ""),
        at: Date.parse(e.at),
      };
    }
    return undefined;
  }
}

/** A path without its repeat counts: two boots that took the same steps have the same shape. */
function shapeOf(path: string): string {
  return path.replace(/ x\d+(?= > |$)/g, "").slice(0, MAX_PATH);
}
