import type { StoreHealth } from "../store.js";
import type { EtcdClient } from "./etcd-client.js";

/** An answer slower than this (ms) makes the store "degraded". */
const SLOW_MS = 500;

/**
 * The store's health from a probe each `intervalMs`: one linearizable read per endpoint (it needs quorum).
 * All answer quickly: ok. Some answer, or slowly: degraded. None: unavailable. A commit that meets a lost
 * quorum reports it at once (`report`), and the next probe that gets an answer brings it back by itself.
 */
export class EtcdHealth {
  private h: StoreHealth = { state: "ok", since: new Date().toISOString() };
  private readonly listeners = new Set<(h: StoreHealth) => void>();
  private timer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(
    private readonly client: EtcdClient,
    private readonly probeKey: string,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
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
      if (up.length === 0)
        this.set("unavailable", `no etcd endpoint answered: ${down.map((d) => d.error).join("; ")}`);
      else if (down.length > 0)
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
