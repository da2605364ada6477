import { h } from "./dom.js";

/**
 * Asks before something that cannot be undone. A native modal <dialog>: it keeps focus inside, Escape
 * cancels, and focus returns to where it was. The safe choice (Cancel) has focus first.
 */
export function confirmAction(title: string, body: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    const before = document.activeElement as HTMLElement | null;
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    const ok = h("button", { type: "button", class: "danger" }, action);
    const titleId = `dlg-${Date.now()}`;
    const dialog = h(
      "dialog",
      { "aria-labelledby": titleId, class: "confirm" },
      h("h2", { id: titleId }, title),
      h("p", {}, body),
      h("div", { class: "actions" }, cancel, ok),
    );
    const done = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      before?.focus();
      resolve(answer);
    };
    cancel.addEventListener("click", () => done(false));
    ok.addEventListener("click", () => done(true));
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
