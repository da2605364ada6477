import { inWords } from "./api.js";
import { h } from "./dom.js";
import type { LiveEvents } from "./live.js";
import type { Session } from "./session.js";

/** What every screen gets: who is signed in, the live events, and the route's parts. */
export interface ScreenContext {
  session: Session;
  live: LiveEvents;
  params: string[];
  query: URLSearchParams;
}

/** A rendered screen; `dispose` stops its subscriptions when the route changes. */
export interface Screen {
  title: string;
  node: HTMLElement;
  dispose?: () => void;
}

/** An API error in words, as an alert that screen readers read out at once. */
export function errorBox(err: unknown): HTMLElement {
  const e = inWords(err);
  return h(
    "div",
    { class: "error", role: "alert" },
    h("p", { class: "summary" }, e.summary),
    // The server's own words, unless they only repeat the sentence above.
    e.detail && !sameWords(e.detail, e.summary) && h("p", { class: "detail" }, e.detail),
    e.code && h("p", { class: "code" }, e.code),
  );
}

function sameWords(a: string, b: string): boolean {
  const words = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9 ]/g, "")
      .split(" ")
      .slice(0, 5)
      .join(" ");
  return words(a) === words(b);
}

/** The screen's heading: focused after each navigation so keyboard and screen-reader users start there. */
export function heading(text: string): HTMLHeadingElement {
  return h("h1", { tabindex: -1 }, text);
}

/** Runs an action from a button: disables it meanwhile and shows any error in `where`. */
export async function act(
  button: HTMLButtonElement | null,
  where: HTMLElement,
  fn: () => Promise<void>,
): Promise<void> {
  where.replaceChildren();
  if (button) button.disabled = true;
  try {
    await fn();
  } catch (err) {
    where.replaceChildren(errorBox(err));
  } finally {
    if (button) {
      button.disabled = false;
      // A disabled button drops focus (a dialog could not hand it back): return it, for keyboard users.
      if (button.isConnected && (!document.activeElement || document.activeElement === document.body))
        button.focus();
    }
  }
}
