import type { Store } from "./store.js";

/** Wraps a store so every commit's time to durability is observed. */
export function timedStore(store: Store, observe: (seconds: number) => void): Store {
  return {
    get: (c, id) => store.get(c, id),
    all: (c) => store.all(c),
    count: (c) => store.count(c),
    close: () => store.close(),
    onApplied: (l) => store.onApplied(l),
    shared: store.shared,
    maxOpsPerCommit: store.maxOpsPerCommit,
    health: () => store.health(),
    onHealth: (l) => store.onHealth(l),
    commit: async (ops, expect) => {
      const t = performance.now();
      await store.commit(ops, expect);
      observe((performance.now() - t) / 1000);
    },
  };
}
