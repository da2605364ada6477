import { EtcdStore } from "../etcd/etcd-store.js";
import type { Store } from "../store.js";
import { startEtcd } from "./etcd-peer.js";

/** One real etcd (started here) and a way to open any number of stores on one prefix of it, as instances would. */
export async function etcdViews(): Promise<{ open: () => Promise<Store>; stop: () => Promise<void> }> {
  const etcd = await startEtcd();
  const opened: Store[] = [];
  return {
    open: async () => {
      const s = await EtcdStore.open({ endpoints: [etcd.endpoints], prefix: "/instances" });
      opened.push(s);
      return s;
    },
    stop: async () => {
      await Promise.all(opened.map((s) => s.close()));
      await etcd.stop();
    },
  };
}
