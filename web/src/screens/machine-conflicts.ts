import type { Conflict } from "../api.js";
import { confirmAction } from "../dialog.js";
import { announce, h } from "../dom.js";
import { when } from "../format.js";
import { act } from "../screen.js";
import { can, type Session } from "../session.js";

/** A machine id as a link to its screen. */
function machineLink(id: string): HTMLElement {
  return h("a", { href: `#/machines/${encodeURIComponent(id)}`, class: "mono" }, id);
}

/** One open conflict: who claimed what, and (operators) merge or keep apart, each after a question. */
function conflictItem(session: Session, c: Conflict, errors: HTMLElement): HTMLElement {
  const identities = c.identities.map((i) => `${i.kind.toUpperCase()} ${i.value}`).join(", ");
  const merge = h("button", { type: "button", class: "danger" }, "Merge…");
  merge.addEventListener("click", () =>
    act(merge, errors, async () => {
      const ok = await confirmAction(
        "Merge these machines?",
        `Only if ${c.machine} really is ${c.other} (a NIC moved, a board was swapped): the MAC addresses of ` +
          `${c.machine} join ${c.other}, and the record ${c.machine} is forgotten. ${c.other} keeps its ` +
          `configs, facts and history. This cannot be undone.`,
        "Merge",
      );
      if (!ok) return;
      await session.client.conflicts.resolve(c.id, "merge");
      announce(`${c.machine} merged into ${c.other}`);
      location.hash = `#/machines/${encodeURIComponent(c.other)}`;
    }),
  );
  const dismiss = h("button", { type: "button", class: "secondary" }, "Keep separate…");
  dismiss.addEventListener("click", () =>
    act(dismiss, errors, async () => {
      const ok = await confirmAction(
        "Keep these machines separate?",
        `${c.machine} and ${c.other} stay two machines. ${identities} stay with ${c.other}, and this ` +
          `clash is not raised again.`,
        "Keep separate",
      );
      if (!ok) return;
      await session.client.conflicts.resolve(c.id, "dismiss");
      announce("Conflict dismissed");
    }),
  );
  return h(
    "li",
    { class: "conflict", "data-conflict": c.id },
    h(
      "p",
      {},
      machineLink(c.machine),
      " claimed ",
      h("strong", {}, identities),
      c.identities.length === 1 ? ", which belongs to " : ", which belong to ",
      machineLink(c.other),
      ".",
    ),
    h("p", { class: "hint" }, `By ${c.credential}, ${when(c.updatedAt)}. Nothing was attached or moved.`),
    can(session, "operator") && h("div", { class: "row-actions" }, merge, dismiss),
  );
}

/**
 * A machine's open identity conflicts: another machine's credential claimed one of its identities, or its
 * own claimed another's. Enforcer attached nothing; an operator decides. Empty when there is none.
 */
export function machineConflicts(session: Session, conflicts: Conflict[]): HTMLElement | false {
  if (conflicts.length === 0) return false;
  const errors = h("div", { class: "errors" });
  return h(
    "section",
    { class: "card wide-card conflicts", "aria-labelledby": "conflicts-h" },
    h("h2", { id: "conflicts-h" }, "Identity conflicts"),
    h(
      "p",
      {},
      "An agent claimed an identity that another machine holds. Enforcer attached nothing: merge the two " +
        "machines if they are one, or keep them separate.",
    ),
    h(
      "ul",
      { class: "conflict-list" },
      conflicts.map((c) => conflictItem(session, c, errors)),
    ),
    errors,
  );
}
