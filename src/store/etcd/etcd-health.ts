import type { StoreHealth } from "../store.js";
import type { EtcdClient } from "./etcd-client.js";

/** An answer slower than this (ms) makes the store "degraded". */
const SLOW_MS = 500;
/**
 * How long no endpoint may answer before the store is "unavailable" (ms). Shorter silences are "degraded": a
 * killed leader leaves etcd without one for an election (1-2 s here), and calling that unavailable made every
 * API write answer 503 at once while commits, which wait it out and re-send, would have gone through.
 */
const UNAVAILABLE_AFTER_MS = 3000;

/**
 * The store's health from a probe each `intervalMs`: one linearizable read per endpoint (it needs quorum).
 * All answer quickly: ok. Some answer, or slowly: degraded. None for `unavailableAfterMs` (3 s): unavailable (less:
 * degraded). A call that finds no endpoint at all reports it at once (`report`), and the next probe that gets
 * an answer brings it back by itself.
 */
export class EtcdHealth {
  private h: StoreHealth = { state: "ok", since: new Date().toISOString() };
  private readonly listeners = new Set<(h: StoreHealth) => void>();
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  /** When the probes started finding no endpoint that answers (ms), while they still do not. */
  private silentSince: number | undefined;

  constructor(
    private readonly client: EtcdClient,
    private readonly probeKey: string,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly unavailableAfterMs = UNAVAILABLE_AFTER_MS,
  ) {}

  /** Starts the probe (after a first one, so the state is known at open). */
  async start(): Promise<void> {
    await this.probe();
    this.timer = setInterval(() => void this.probe(), this.intervalMs);
    this.timer.unref();
  }

  /** The state now. */
  get(): StoreHealth {
    return this.h;
  }

  /** Hears every change; returns the unsubscribe function. */
  on(l: (h: StoreHealth) => void): () => void {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }

  /** A call saw this state (a commit timed out, nothing was reachable). */
  report(state: StoreHealth["state"], detail: string): void {
    // A lost answer (degraded) says less than probes that found no endpoint for long: it never lowers that.
    if (state === "degraded" && this.h.state === "unavailable") return;
    this.set(state, detail);
  }

  /** Stops the probe. */
  stop(): void {
    clearInterval(this.timer);
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const answers = await this.client.probeEach(this.probeKey, this.timeoutMs);
      const up = answers.filter((a) => a.error === undefined);
      const down = answers.filter((a) => a.error !== undefined);
      const slow = up.filter((a) => a.ms > SLOW_MS);
      this.silentSince = up.length > 0 ? undefined : (this.silentSince ?? Date.now());
      if (up.length === 0) {
        const why = `no etcd endpoint answered: ${down.map((d) => d.error).join("; ")}`;
        if (Date.now() - (this.silentSince ?? 0) >= this.unavailableAfterMs) this.set("unavailable", why);
        else this.set("degraded", why);
      } else if (down.length > 0)
        this.set(
          "degraded",
          `${down.length} of ${answers.length} etcd endpoints do not answer: ${down.map((d) => d.url).join(", ")}`,
        );
      else if (slow.length > 0)
        this.set("degraded", `etcd answers slowly (${Math.round(Math.max(...slow.map((s) => s.ms)))} ms)`);
      else this.set("ok");
    } finally {
      this.probing = false;
    }
  }

  private set(state: StoreHealth["state"], detail?: string): void {
    if (state === this.h.state && detail === this.h.detail) return;
    const changed = state !== this.h.state;
    this.h = {
      state,
      since: changed ? new Date().toISOString() : this.h.since,
      ...(detail ? { detail } : {}),
    };
    if (changed) for (const l of this.listeners) l(this.h);
  }
}
