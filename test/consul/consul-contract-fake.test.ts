// Consul cannot be installed here (not in Debian): these tests run against a CONTRACT FAKE of its HTTP API.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ConsulAgent } from "../../src/agents/consul/consul-agent.js";
import { isEnforcerError } from "../../src/domain/errors.js";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { startConsulContractFake, type FakeNode } from "../support/consul-contract-fake.js";

const NODES: FakeNode[] = [
  {
    name: "web-1",
    meta: { mac: "52:54:00:c0:00:01" },
    inventory: { serial: "C1", cpus: 4, macs: ["52:54:00:c0:00:01"] },
  },
  { name: "web-2", meta: {}, inventory: { macs: ["52:54:00:c0:00:02"], vendor: "{{ evil }} ${x}" } },
  { name: "gone", meta: { mac: "52:54:00:c0:00:09" }, alive: false },
  { name: "mute", meta: { mac: "52:54:00:c0:00:03" }, inventory: { macs: [] }, answers: false },
];

describe("Consul agent (contract fake: Consul is not installable here)", { timeout: 60_000 }, () => {
  let fake: Awaited<ReturnType<typeof startConsulContractFake>>;
  before(async () => {
    fake = await startConsulContractFake(NODES, "acl-secret");
  });
  after(() => fake.close());

  test("contract fake: members from the catalog with gossip status; inventory from KV", async () => {
    const consul = new ConsulAgent({ url: fake.url, token: "acl-secret" });
    const members = await consul.members();
    assert.deepEqual(
      members.map((m) => [m.name, m.macs, m.alive]),
      [
        ["web-1", ["52:54:00:c0:00:01"], true],
        ["web-2", [], true],
        ["gone", ["52:54:00:c0:00:09"], false],
        ["mute", ["52:54:00:c0:00:03"], true],
      ],
    );
    assert.deepEqual(await consul.inventory(members[0]!), NODES[0]!.inventory);
  });

  test("contract fake: reboot = a cas=0 command key, an event filtered to the node, an acknowledgement key", async () => {
    const consul = new ConsulAgent({ url: fake.url, token: "acl-secret", ackTimeoutMs: 1500 });
    const d = await consul.reboot({ name: "web-1", macs: [], alive: true });
    assert.deepEqual(d, { state: "acknowledged", detail: "ok web-1" });
    assert.equal(fake.events.at(-1)?.node, "web-1", "the event reached only web-1");
    assert.deepEqual(await consul.reboot({ name: "mute", macs: [], alive: true }), {
      state: "timed-out",
      detail: "no acknowledgement from mute",
    });
  });

  test("contract fake: a wrong ACL token is a coded error", async () => {
    const consul = new ConsulAgent({ url: fake.url, token: "wrong" });
    await assert.rejects(
      consul.members(),
      (e) => isEnforcerError(e, "ENF_ERR_CONSUL_HTTP") && /403/.test(e.message),
    );
  });

  test("contract fake: enforcer serve --consul turns nodes into machines and delivers a reboot", async () => {
    let enf: EnforcerProcess | undefined;
    try {
      enf = await startEnforcer([
        "--consul",
        fake.url,
        "--consul-token",
        "acl-secret",
        "--agent-interval",
        "1",
      ]);
      const seen = async () =>
        (await enf!.api<{ total: number; items: { id: string }[] }>("GET", "/machines")).body;
      for (let i = 0; i < 50 && (await seen()).total < 3; i++) await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(
        (await seen()).items.map((m) => m.id),
        ["52:54:00:c0:00:01", "52:54:00:c0:00:02", "52:54:00:c0:00:03"],
      );
      const web2 = await enf.api<{ facts: { vendor: string } }>("GET", "/machines/52:54:00:c0:00:02");
      assert.equal(web2.body.facts.vendor, "{{ evil }} ${x}", "stored as data");
      const cmd = await enf.api<{ id: string }>("POST", "/commands", {
        machine: "52:54:00:c0:00:01",
        type: "reboot",
      });
      let state = "";
      for (let i = 0; i < 50 && state !== "acknowledged"; i++) {
        state = (await enf.api<{ state: string }>("GET", `/commands/${cmd.body.id}`)).body.state;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(state, "acknowledged");
    } finally {
      await enf?.stop();
    }
  });
});
