// DHCP leadership across instances on one real etcd (loopback, no root): two `enforcer serve --dhcp proxy`
// processes campaign for the same boot network (127.0.0.0/8, DHCP on kernel-picked ports, so replies go
// straight back to the sender). Exactly one answers; SIGKILL it and the other answers within 5 s; a clean
// stop (SIGTERM) hands over at once.
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { after, before, describe, test } from "node:test";
import { uefiDiscover } from "../../src/protocols/dhcp/testing/hand-built.js";
import { startEtcd, type EtcdPeer } from "../../src/store/testing/etcd-peer.js";
import {
  alive,
  instanceMetric,
  LOOPBACK_NET,
  removeDhcpInstances,
  startDhcpInstance,
  type DhcpInstance,
} from "../support/dhcp-etcd-instance.js";

const NET = LOOPBACK_NET;
type Instance = DhcpInstance;
const instance = (etcd: EtcdPeer, first?: Instance) => startDhcpInstance(etcd, "proxy", first);
const metric = instanceMetric;

describe(
  "DHCP leadership on one real etcd: two instances, one answers, the other takes over",
  { timeout: 90_000 },
  () => {
    let etcd: EtcdPeer;
    let sock: Socket;
    const replies: { port: number }[] = [];
    const instances: Instance[] = [];

    before(async () => {
      etcd = await startEtcd();
      sock = createSocket("udp4");
      sock.on("message", (_m, r) => replies.push({ port: r.port }));
      await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
    });
    after(async () => {
      sock?.close();
      await removeDhcpInstances(instances);
      await etcd?.stop();
    });

    /** One DISCOVER to every live instance (what one broadcast on the segment is); answers which ports replied. */
    async function broadcast(waitMs = 300): Promise<number[]> {
      const from = replies.length;
      for (const i of instances) if (alive(i)) sock.send(uefiDiscover(), i.dhcpPort, "127.0.0.1");
      await new Promise((r) => setTimeout(r, waitMs));
      return replies.slice(from).map((r) => r.port);
    }

    test("exactly one of two instances answers a broadcast; /metrics says which leads", async () => {
      instances.push(await instance(etcd));
      instances.push(await instance(etcd, instances[0]));
      const [a, b] = instances as [Instance, Instance];
      assert.deepEqual([a.role, b.role], ["leading", "following"]);
      for (let n = 0; n < 5; n++) assert.deepEqual(await broadcast(), [a.dhcpPort]);
      const series = `enforcer_dhcp_leader{network="${NET}"}`;
      assert.deepEqual([await metric(a, series), await metric(b, series)], [1, 0]);
      assert.equal(await metric(b, "enforcer_dhcp_follower_dropped_total"), 5);
      assert.match(a.proc.logs(), /dhcp: leading 127\.0\.0\.0\/8/);
      assert.match(b.proc.logs(), /dhcp: following 127\.0\.0\.0\/8/);
    });

    test("SIGKILL of the leader: the other answers within 5 s, and never both", async () => {
      const [a, b] = instances as [Instance, Instance];
      a.proc.child.kill("SIGKILL");
      const killed = Date.now();
      let answered: number[] = [];
      while (Date.now() - killed < 10_000) {
        answered = await broadcast(200);
        assert.ok(answered.length <= 1, `two answers: ${answered.join(",")}`);
        if (answered.length === 1) break;
      }
      const took = Date.now() - killed;
      console.log(`# take-over after SIGKILL: ${took} ms`);
      assert.deepEqual(answered, [b.dhcpPort]);
      assert.ok(took < 5_000, `took ${took} ms`);
      assert.match(b.proc.logs(), /dhcp: leading 127\.0\.0\.0\/8/);
      assert.equal(await metric(b, `enforcer_dhcp_leader{network="${NET}"}`), 1);
    });

    test("a clean stop (SIGTERM) of the leader hands over at once", async () => {
      const c = await instance(etcd, instances[0]);
      instances.push(c);
      assert.equal(c.role, "following");
      const b = instances[1]!;
      await b.proc.stop();
      const stopped = Date.now();
      let answered: number[] = [];
      while (Date.now() - stopped < 5_000 && answered.length === 0) answered = await broadcast(100);
      const took = Date.now() - stopped;
      console.log(`# take-over after SIGTERM: ${took} ms`);
      assert.deepEqual(answered, [c.dhcpPort]);
      assert.ok(took < 1_500, `took ${took} ms`);
      await c.proc.stop();
    });
  },
);
