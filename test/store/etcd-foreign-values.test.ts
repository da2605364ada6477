// A real `enforcer serve` on a real etcd, with values under its prefix that another tool (or a person with
// etcdctl) wrote: not JSON, or JSON no service could read. They must not take the API down, nor stop every
// instance from starting again.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { EtcdClient } from "../../src/store/etcd/etcd-client.js";
import { startEtcd, type EtcdPeer } from "../../src/store/testing/etcd-peer.js";
import { startEnforcer } from "../support/enforcer-process.js";

let etcd: EtcdPeer;
before(async () => {
  etcd = await startEtcd();
});
after(() => etcd?.stop());

const FOREIGN: Record<string, string> = {
  "machines/52:54:00:aa:00:09": "null",
  "machines/52:54:00:aa:00:0b": "{}",
  "machines/notjson": "{{{",
  "configs/c1": "{}",
  "configs/c3": '{"id":"c3","machine":"52:54:00:aa:00:01","profile":"p","lifecycle":5}',
  "events/000000099999": "[]",
  "retention/events": '"abc"',
  "profiles/p1": "{}",
  "commands/x": "7",
  "tokens/t": "{}",
};

test(
  "etcd: foreign values under the prefix (garbage JSON, wrong shapes, a broken seq mark): the API lists answer, the instance restarts, and writes and events go on",
  { timeout: 90_000 },
  async () => {
    const store = ["--store", `etcd://${etcd.endpoints}`];
    let e = await startEnforcer(store);
    const client = new EtcdClient({ endpoints: [etcd.endpoints] });
    try {
      for (const [k, v] of Object.entries(FOREIGN))
        await client.txn([], [{ put: { key: `/enforcer/${k}`, value: v } }]);
      await new Promise((r) => setTimeout(r, 300));
      for (const path of ["/machines", "/configs", "/profiles", "/commands", "/tokens"])
        assert.equal((await e.api("GET", path)).status, 200, `GET ${path} while they come`);
      await e.stop();
      e = await startEnforcer(store, { data: e.data });
      for (const path of ["/machines", "/configs", "/profiles", "/commands", "/tokens"])
        assert.equal((await e.api("GET", path)).status, 200, `GET ${path} after a restart`);
      const created = await e.api("POST", "/machines", { mac: "52:54:00:aa:00:22" });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const events = await e.api<{ items: { kind: string }[] }>("GET", "/machines/52:54:00:aa:00:22/events");
      assert.deepEqual(
        events.body.items.map((x) => x.kind),
        ["machine.created"],
      );
      assert.match(e.logs(), /configs\/c3 does not hold an Enforcer configs value/);
    } finally {
      client.close();
      await e.stop();
    }
  },
);
