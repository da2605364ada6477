import { MemoryStore } from "./testing/fake-stores.js";
import { storeContract } from "./testing/store-contract.js";
import { timedStore } from "./timed-store.js";

storeContract("memory", async () => ({ store: new MemoryStore() }));

// The timing wrapper the daemon puts around its store is a store too: it must not bend the contract.
storeContract("timed memory", async () => ({ store: timedStore(new MemoryStore(), () => {}) }));
