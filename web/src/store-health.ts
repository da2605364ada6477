import type { EnforcerClient } from "./api.js";
import { h, replace } from "./dom.js";

/** How often the store's health is asked for: a lost quorum shows within this (the API answers 503 at once). */
const POLL_MS = 5_000;

type Status = Awaited<ReturnType<EnforcerClient["status"]>>["store"];

/** What each state means to a person at the rack. */
const IN_WORDS: Record<Exclude<Status["state"], "ok">, string> = {
  unavailable: "The store is unavailable: changes cannot be saved; machines keep booting from memory.",
  degraded: "The store is degraded: changes are saved, but slowly (a member of the cluster is down or slow).",
};

/**
 * The store's health on every screen: a banner above the screen while it is not ok (in words, with since
 * when and the store's own detail), and a short "Store: etcd, ok" in the header otherwise. Polled while
 * signed in; a failed poll leaves what was shown (the live badge already says the server is out of reach).
 */
export class StoreHealth {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private shown = "";

  constructor(
    private readonly client: EnforcerClient,
    private readonly banner: HTMLElement,
    private readonly badge: HTMLElement,
  ) {
    void this.poll();
  }

  /** Stops polling and clears what it showed (on sign-out). */
  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.banner.hidden = true;
    replace(this.banner);
    replace(this.badge);
  }

  private async poll(): Promise<void> {
    try {
      this.show((await this.client.status()).store);
    } catch {
      // Unreachable or signed out: the live badge and the sign-in flow say so.
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.poll(), POLL_MS);
  }

  private show(s: Status): void {
    if (this.stopped) return;
    replace(this.badge, `Store: ${s.kind}, ${s.state}`);
    this.badge.className = `store-state ${s.state}`;
    const key = `${s.state} ${s.since} ${s.detail ?? ""}`;
    if (key === this.shown) return; // unchanged: a screen reader hears a change once, not every poll
    this.shown = key;
    if (s.state === "ok") {
      this.banner.hidden = true;
      replace(this.banner);
      return;
    }
    const since = new Date(s.since).toLocaleString();
    replace(
      this.banner,
      h(
        "div",
        { class: `store-banner ${s.state}`, role: "alert" },
        h("p", { class: "summary" }, IN_WORDS[s.state]),
        h("p", { class: "detail" }, `Since ${since}${s.detail ? `: ${s.detail}` : ""}.`),
      ),
    );
    this.banner.hidden = false;
  }
}
