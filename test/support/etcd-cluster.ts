import { startEtcdCluster as startPeers, type EtcdPeer } from "../../src/store/testing/etcd-peer.js";

/** An etcd cluster on loopback (src/store/testing/etcd-peer.ts) with what the cluster proofs ask of it. */
export interface EtcdCluster extends EtcdPeer {
  /** `etcd://h:p,h:p,…` for `--store`. */
  storeUrl: string;
  /** The index of the member that leads the cluster now (every member must be up). */
  leader: () => Promise<number>;
}

/** etcd's JSON gateway status of one member: its own id and its leader's. */
async function status(clientUrl: string): Promise<{ id: string; leader: string } | undefined> {
  try {
    const r = await fetch(`${clientUrl}/v3/maintenance/status`, {
      method: "POST",
      body: "{}",
      signal: AbortSignal.timeout(1000),
    });
    const s = (await r.json()) as { header?: { member_id?: string }; leader?: string };
    return s.header?.member_id && s.leader && s.leader !== "0"
      ? { id: s.header.member_id, leader: s.leader }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts `n` members and waits until every one knows the same leader: a member listens before the cluster
 * has elected one, and an Enforcer started then would measure the election, not itself.
 */
export async function startEtcdCluster(n = 3): Promise<EtcdCluster> {
  const peer = await startPeers(n);
  const leader = async () => {
    const all = await Promise.all(peer.members.map((m) => status(m.clientUrl)));
    const lead = all[0]?.leader;
    const i = all.findIndex((s) => s?.id === lead);
    if (i < 0 || all.some((s) => s?.leader !== lead)) throw new Error("the etcd members agree on no leader");
    return i;
  };
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      await leader();
      break;
    } catch (err) {
      if (Date.now() > end) {
        await peer.stop();
        throw new Error(`etcd elected no leader within 20 s: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { ...peer, storeUrl: `etcd://${peer.endpoints}`, leader };
}
