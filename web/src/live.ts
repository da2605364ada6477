import { ApiError, type EnforcerClient, type StreamEvent } from "./api.js";

type Listener = (e: StreamEvent) => void;

/**
 * One event stream for the whole app. Screens subscribe and unsubscribe; when the connection drops it comes
 * back after a pause and resumes after the last event seen, so nothing is missed.
 */
export class LiveEvents {
  private readonly listeners = new Set<Listener>();
  private readonly stop = new AbortController();
  private lastSeq: number | undefined;
  private retryMs = 1000;

  constructor(
    private readonly client: EnforcerClient,
    private readonly onStatus: (connected: boolean) => void,
    private readonly onUnauthorized: () => void,
  ) {
    void this.run();
  }

  /** Calls `fn` for every event until the returned function is called. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    this.stop.abort();
  }

  private async run(): Promise<void> {
    while (!this.stop.signal.aborted) {
      try {
        await this.client.events((e) => this.deliver(e), {
          after: this.lastSeq,
          signal: this.stop.signal,
          onOpen: () => {
            this.retryMs = 1000;
            this.onStatus(true);
          },
        });
      } catch (err) {
        // A token that no longer works will not start working: sign out. Anything else: try again.
        if (err instanceof ApiError && err.status === 401) return this.onUnauthorized();
      }
      if (this.stop.signal.aborted) return;
      this.onStatus(false);
      await new Promise((r) => setTimeout(r, this.retryMs));
      this.retryMs = Math.min(this.retryMs * 2, 15_000);
    }
  }

  private deliver(e: StreamEvent): void {
    this.lastSeq = e.seq;
    for (const fn of this.listeners) fn(e);
  }
}
