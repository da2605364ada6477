import type { BootTimeline, TimelineAttempt } from "../api.js";
import { h } from "../dom.js";
import { when } from "../format.js";

/** Each outcome in words for the person at the rack. */
const OUTCOME_WORDS: Record<string, string> = {
  "in-progress": "In progress",
  provisioned: "Provisioned",
  "config-served": "Booted its config",
  discovery: "Booted discovery",
  "fell-through": "Fell through to its local disk",
  stopped: "Stopped",
};

/** One step: its time and label, the stop step marked and its hint beside it. */
function stepItem(a: TimelineAttempt, i: number): HTMLElement {
  const s = a.steps[i]!;
  const stop = i === a.stopIndex;
  return h(
    "li",
    { class: `boot-step ${s.kind}${stop ? " stop" : ""}`, ...(stop ? { "aria-current": "step" } : {}) },
    h("time", { datetime: s.at }, new Date(s.at).toLocaleTimeString()),
    h("span", { class: "step-kind" }, s.kind.toUpperCase()),
    " ",
    h("span", { class: "step-label" }, s.label),
    stop && a.hint ? h("p", { class: "boot-hint", role: "note" }, a.hint.text) : null,
  );
}

/** The latest boot attempt as a timeline, or the recorded summary when none is in memory (after a restart). */
export function latestBoot(t: BootTimeline): HTMLElement[] {
  const a = t.attempts.at(-1);
  if (!a) {
    const r = t.recorded.at(-1);
    if (!r) return [h("p", {}, "No network boot seen since Enforcer started.")];
    return [
      h(
        "p",
        { class: "boot-outcome" },
        `${OUTCOME_WORDS[String(r.detail.outcome)] ?? String(r.detail.outcome)} (${when(r.at)})`,
      ),
      h("p", { class: "hint" }, String(r.detail.path ?? "")),
    ];
  }
  const out: HTMLElement[] = [
    h(
      "p",
      { class: `boot-outcome ${a.outcome}` },
      `Attempt ${a.n}, started ${when(a.startedAt)}: `,
      h("strong", {}, OUTCOME_WORDS[a.outcome] ?? a.outcome),
      a.stop && a.outcome !== "in-progress" ? ` at “${a.stop}”` : "",
    ),
    h(
      "ol",
      { class: "boot-steps", "aria-label": `Steps of boot attempt ${a.n}` },
      a.steps.map((_, i) => stepItem(a, i)),
    ),
  ];
  if (a.droppedSteps > 0) out.push(h("p", { class: "hint" }, `${a.droppedSteps} earlier steps left out.`));
  return out;
}
