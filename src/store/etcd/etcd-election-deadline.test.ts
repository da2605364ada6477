// A leader must stop leading before its lease can expire on etcd, also when etcd stops answering without
// refusing (a partition, a frozen member: here SIGSTOP), where a renewal hangs until the client's timeout.
// The client's timeout (5 s here) is longer than the lease (3 s) on purpose: the step-down must not wait for it.
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

test("etcd election: a leader whose renewals hang (etcd frozen, SIGSTOP) steps down within TTL minus a margin, not after the client's timeout", async () => {
  const client = new EtcdClient({ endpoints: [etcd.endpoints], timeoutMs: 5000 });
  const campaign = new EtcdElection(client, "/deadline").campaign("dhcp/net");
  const member = etcd.members[0]!;
  const pid = member.pid()!;
  const changes: boolean[] = [];
  campaign.onChange((l) => changes.push(l));
  try {
    await untilTrue(() => campaign.isLeader(), "leading", 5000);
    // Just after a renewal, so the lease has its whole TTL left on etcd when the member freezes.
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(pid, "SIGSTOP");
    const frozen = Date.now();
    await untilTrue(() => !campaign.isLeader(), "stepped down", 4000);
    const after = Date.now() - frozen;
    console.log(`# stepped down ${after} ms after etcd froze (lease TTL 3000 ms, client timeout 5000 ms)`);
    assert.ok(after < 2500, `stepped down ${after} ms after etcd froze`);
    assert.deepEqual(changes, [true, false], "listeners told of the step-down when it happened");
    process.kill(pid, "SIGCONT");
    // Once etcd answers again the campaign leads again by itself.
    await untilTrue(() => campaign.isLeader(), "leading again", 10_000);
  } finally {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // Gone already.
    }
    await campaign.resign();
    client.close();
  }
});
