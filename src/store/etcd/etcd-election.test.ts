import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startEtcd, type EtcdPeer } from "../testing/etcd-peer.js";
import { EtcdClient } from "./etcd-client.js";
import { EtcdElection } from "./etcd-election.js";
import { untilTrue } from "../testing/until.js";

let etcd: EtcdPeer;
before(async () => {
  etcd = await startEtcd();
});
after(() => etcd?.stop());

test(
  "etcd election: of three campaigns one leads; its resign hands over at once; a renewal that fails steps down before the lease can expire",
  { timeout: 90_000 },
  async () => {
    const clients = [0, 1, 2].map(() => new EtcdClient({ endpoints: [etcd.endpoints], timeoutMs: 500 }));
    const campaigns = clients.map((c) => new EtcdElection(c, "/elect").campaign("dhcp/net"));
    try {
      await untilTrue(() => campaigns.some((c) => c.isLeader()), "a leader");
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(campaigns.filter((c) => c.isLeader()).length, 1, "exactly one leader");
      const first = campaigns.find((c) => c.isLeader());
      assert.ok(first);
      const t = Date.now();
      await first.resign();
      await untilTrue(() => campaigns.some((c) => c !== first && c.isLeader()), "a new leader after resign");
      assert.ok(Date.now() - t < 2000, `handed over in ${Date.now() - t} ms`);
      assert.equal(campaigns.filter((c) => c.isLeader()).length, 1);
      // etcd gone: the leader's next renewal fails and it steps down, well before its 3 s lease ends.
      const leader = campaigns.find((c) => c.isLeader());
      assert.ok(leader);
      const changes: boolean[] = [];
      leader.onChange((l) => changes.push(l));
      const member = etcd.members[0];
      assert.ok(member);
      const killed = Date.now();
      await member.kill();
      await untilTrue(() => !leader.isLeader(), "stepped down", 3000);
      const after = Date.now() - killed;
      assert.ok(after < 2000, `stepped down ${after} ms after etcd died (lease TTL 3000 ms)`);
      assert.deepEqual(changes, [false]);
      await member.restart();
      await untilTrue(() => campaigns.filter((c) => c.isLeader()).length === 1, "a leader again", 10_000);
    } finally {
      await Promise.all(campaigns.map((c) => c.resign()));
      clients.forEach((c) => c.close());
    }
  },
);
