import { MemoryStore } from "./testing/fake-stores.js";
import { storeContract } from "./testing/store-contract.js";

storeContract("memory", async () => ({ store: new MemoryStore() }));
