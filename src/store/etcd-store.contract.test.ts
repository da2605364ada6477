import { after, before } from "node:test";
import { EtcdStore } from "./etcd/etcd-store.js";
import { startEtcd, type EtcdPeer } from "./testing/etcd-peer.js";
import { storeContract } from "./testing/store-contract.js";

// One etcd for the file; each case gets its own prefix, so cases never see each other's keys.
let etcd: EtcdPeer;
before(async () => {
  etcd = await startEtcd();
});
after(() => etcd?.stop());

let cases = 0;
storeContract(
  "etcd",
  async () => {
    const prefix = `/contract-${++cases}`;
    const open = () => EtcdStore.open({ endpoints: [etcd.endpoints], prefix });
    const store = await open();
    return { store, peer: open, reopen: open };
  },
  { applies: "shared" },
);
