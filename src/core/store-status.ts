import { EnforcerError } from "../domain/errors.js";
import type { Store, StoreHealth } from "../store/store.js";

/** The store as operators see it: its kind, whether it is shared, and its health. */
export interface StoreStatusView {
  /** "etcd" for a shared store (the only shared backend), "file" for the embedded one. */
  kind: "file" | "etcd";
  shared: boolean;
  state: StoreHealth["state"];
  /** When it entered this state (ISO 8601). */
  since: string;
  detail?: string;
}

/** What the store's health means for a write, in the words the API and the UI show. */
export const UNAVAILABLE_MESSAGE =
  "the store is unavailable: changes cannot be saved; machines keep booting from memory. Try again when it is back";

/** The store's kind and health for /metrics, the status route and the write gate (the transports never read the store). */
export class StoreStatus {
  constructor(private readonly store: Store) {}

  /** The store's state now. */
  view(): StoreStatusView {
    const h = this.store.health();
    return {
      kind: this.store.shared ? "etcd" : "file",
      shared: this.store.shared,
      state: h.state,
      since: h.since,
      ...(h.detail ? { detail: h.detail } : {}),
    };
  }

  /**
   * Refuses a write at once while the store is unavailable, before any work (an asset download, a render)
   * whose result could not be saved: ENF_ERR_STORE_UNAVAILABLE, which the API answers with 503.
   */
  assertWritable(): void {
    const h = this.store.health();
    if (h.state !== "unavailable") return;
    throw new EnforcerError("ENF_ERR_STORE_UNAVAILABLE", UNAVAILABLE_MESSAGE, {
      since: h.since,
      ...(h.detail ? { detail: h.detail } : {}),
    });
  }
}
