// `--dhcp server` with two instances on one real etcd (loopback, no root): the leases are in etcd, so the
// follower holds the leader's leases; after the leader's SIGKILL the other takes over and a client REBINDING
// (broadcast, its address in ciaddr) is ACKed the same address, and another client is never offered it.
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { readFields } from "../../src/protocols/dhcp/fields.js";
import { decodeDhcp, encodeDhcp } from "../../src/protocols/dhcp/packet.js";
import { requestFrame } from "../../src/protocols/dhcp/request-frame.js";
import { startEtcd, type EtcdPeer } from "../../src/store/testing/etcd-peer.js";
import { removeDhcpInstances, startDhcpInstance, type DhcpInstance } from "../support/dhcp-etcd-instance.js";
import { until } from "../support/until.js";

const RANGE = ["--dhcp-range", "127.9.0.10-127.9.0.20"];

interface Reply {
  type?: number;
  yiaddr: string;
}

describe(
  "--dhcp server on one real etcd: shared leases, a rebinding client keeps its address after fail-over",
  { timeout: 90_000 },
  () => {
    let etcd: EtcdPeer;
    let sock: Socket;
    const instances: DhcpInstance[] = [];
    const waiting = new Map<number, (r: Reply) => void>();

    before(async () => {
      etcd = await startEtcd();
      sock = createSocket("udp4");
      sock.on("message", (m) => {
        const d = decodeDhcp(m);
        waiting.get(d.xid)?.({ type: readFields(d).messageType, yiaddr: d.yiaddr });
      });
      await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
    });
    after(async () => {
      sock?.close();
      await removeDhcpInstances(instances);
      await etcd?.stop();
    });

    /** One request from `mac` to an instance; its reply, or undefined after `ms`. */
    async function ask(
      to: DhcpInstance,
      mac: Buffer,
      type: number,
      o: { requested?: string; ciaddr?: string; ms?: number } = {},
    ): Promise<Reply | undefined> {
      const xid = randomBytes(4).readUInt32BE();
      const options = new Map<number, Buffer>([[53, Buffer.from([type])]]);
      if (o.requested) {
        options.set(50, Buffer.from(o.requested.split(".").map(Number)));
        options.set(54, Buffer.from([127, 0, 0, 1]));
      }
      const reply = new Promise<Reply | undefined>((res) => {
        const timer = setTimeout(() => res(undefined), o.ms ?? 500);
        waiting.set(xid, (r) => {
          clearTimeout(timer);
          res(r);
        });
      });
      sock.send(
        encodeDhcp(requestFrame({ xid, mac, options, ...(o.ciaddr ? { ciaddr: o.ciaddr } : {}) })),
        to.dhcpPort,
        "127.0.0.1",
      );
      const r = await reply;
      waiting.delete(xid);
      return r;
    }

    test("the leader leases, the follower holds the lease; after the leader's SIGKILL the other ACKs the same address", async () => {
      instances.push(await startDhcpInstance(etcd, "server", undefined, RANGE));
      instances.push(await startDhcpInstance(etcd, "server", instances[0], RANGE));
      const [a, b] = instances as [DhcpInstance, DhcpInstance];
      assert.deepEqual([a.role, b.role], ["leading", "following"]);
      const mac = Buffer.from("525400c0ffee", "hex");
      const offer = await ask(a, mac, 1);
      assert.equal(offer?.type, 2, "OFFER from the leader");
      const address = offer.yiaddr;
      const ack = await ask(a, mac, 3, { requested: address });
      assert.deepEqual(ack, { type: 5, yiaddr: address });
      assert.equal(await ask(b, mac, 1), undefined, "the follower is silent");
      // The follower has the lease from etcd (its API lists it).
      await until(
        "the lease on the follower",
        async () => {
          const r = await b.proc.api<{ items: { address: string; mac: string }[] }>("GET", "/dhcp/leases");
          return r.body.items.some((l) => l.address === address && l.mac === "52:54:00:c0:ff:ee")
            ? true
            : undefined;
        },
        5000,
        100,
      );

      a.proc.child.kill("SIGKILL");
      const killed = Date.now();
      let rebind: Reply | undefined;
      while (!rebind && Date.now() - killed < 10_000)
        rebind = await ask(b, mac, 3, { ciaddr: address, ms: 300 });
      const took = Date.now() - killed;
      console.log(`# server mode: rebinding client ACKed by the new leader ${took} ms after the SIGKILL`);
      assert.deepEqual(rebind, { type: 5, yiaddr: address });
      assert.ok(took < 5_000, `took ${took} ms`);
      // Another client is offered another address.
      const other = await ask(b, Buffer.from("525400c0ff01", "hex"), 1);
      assert.equal(other?.type, 2);
      assert.notEqual(other.yiaddr, address);
    });
  },
);
