// Enforcer's serf RPC client against a real cluster of Debian's serf agents on loopback.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SerfRpc } from "../../src/agents/serf/rpc-client.js";
import { isEnforcerError } from "../../src/domain/errors.js";
import { startSerfCluster, type SerfNode } from "../support/serf-cluster.js";

describe("serf RPC client against real serf agents", { timeout: 120_000 }, () => {
  let nodes: SerfNode[];
  let rpc: SerfRpc;
  const marker = join(mkdtempSync(join(tmpdir(), "serf-reboot-")), "rebooted");

  before(async () => {
    nodes = await startSerfCluster([
      { name: "enforcer", config: { rpc_auth: "s3cret" } },
      {
        name: "node-b",
        tags: { mac: "52:54:00:00:00:0b" },
        handlers: ["query:inventory=inventory.sh", "query:reboot=reboot.sh"],
        env: { ENFORCER_REBOOT_CMD: `touch ${marker}` },
      },
      { name: "node-c", tags: { mac: "52:54:00:00:00:0c" }, handlers: ["query:inventory=inventory.sh"] },
    ]);
    rpc = await SerfRpc.connect({ host: "127.0.0.1", port: nodes[0]!.rpc, authKey: "s3cret" });
    // Members appear through gossip; wait until all three are alive.
    for (let i = 0; i < 50; i++) {
      if ((await rpc.members()).filter((m) => m.status === "alive").length === 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    rpc?.close();
    await Promise.all((nodes ?? []).map((n) => n.kill()));
  });

  test("members: names, tags, status and the address decoded from raw bytes", async () => {
    const members = await rpc.members();
    const b = members.find((m) => m.name === "node-b")!;
    assert.deepEqual(
      [b.addr, b.port, b.status, b.tags.mac],
      ["127.0.0.1", nodes[1]!.bind, "alive", "52:54:00:00:00:0b"],
    );
    assert.deepEqual(members.map((m) => m.name).sort(), ["enforcer", "node-b", "node-c"]);
  });

  test("a wrong auth key is refused; no auth at all cannot list members", async () => {
    await assert.rejects(
      SerfRpc.connect({ host: "127.0.0.1", port: nodes[0]!.rpc, authKey: "wrong" }),
      (e) => isEnforcerError(e, "ENF_ERR_SERF_RPC") && /Invalid authentication token/.test(e.message),
    );
    const anon = await SerfRpc.connect({ host: "127.0.0.1", port: nodes[0]!.rpc });
    await assert.rejects(anon.members(), /Authentication required/);
    anon.close();
  });

  test("an inventory query to one node: its ack, then its handler's JSON, then done at the deadline", async () => {
    const r = await rpc.query({ name: "inventory", nodes: ["node-b"], requestAck: true, timeoutMs: 1500 });
    assert.deepEqual(r.acks, ["node-b"]);
    assert.equal(r.responses.length, 1);
    const inv = JSON.parse(new TextDecoder().decode(r.responses[0]!.payload));
    assert.equal(r.responses[0]!.from, "node-b");
    assert.ok(
      Array.isArray(inv.macs) && typeof inv.cpus === "number" && inv.memoryKiB > 0,
      JSON.stringify(inv),
    );
  });

  test("a reboot query by anchored tag: answered ok, and the reboot runs after the reply", async () => {
    const r = await rpc.query({
      name: "reboot",
      tags: { mac: "^52:54:00:00:00:0b$" },
      requestAck: true,
      timeoutMs: 1500,
    });
    assert.deepEqual(r.acks.sort(), ["node-b"]);
    assert.match(new TextDecoder().decode(r.responses[0]!.payload), /^ok [0-9a-f-]{36}\n$/);
    for (let i = 0; i < 60 && !existsSync(marker); i++) await new Promise((res) => setTimeout(res, 100));
    assert.ok(existsSync(marker), "the reboot command did not run");
  });

  test("user events reach a stream on another agent; a stopped stream does not break the framing", async () => {
    const other = await SerfRpc.connect({ host: "127.0.0.1", port: nodes[1]!.rpc });
    const got: string[] = [];
    const seq = await other.stream("user:reboot", (rec) =>
      got.push(new TextDecoder().decode(rec.Payload as Uint8Array)),
    );
    await rpc.event("reboot", "52:54:00:00:00:0b", false);
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(got, ["52:54:00:00:00:0b"]);
    await other.stop(seq);
    await rpc.event("reboot", "again", false);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await other.members()).length, 3, "the connection still frames correctly after stop");
    other.close();
  });

  test("an agent that dies mid-query: the query still ends at its deadline with what arrived", async () => {
    const slow = rpc.query({ name: "inventory", nodes: ["node-c"], requestAck: true, timeoutMs: 2500 });
    await nodes[2]!.kill();
    const r = await slow;
    assert.ok(r.responses.length <= 1);
    assert.ok((await rpc.members()).length === 3, "the client keeps working");
  });

  test("an unreachable agent is a coded error, not a crash", async () => {
    await assert.rejects(SerfRpc.connect({ host: "127.0.0.1", port: 1 }), (e) =>
      isEnforcerError(e, "ENF_ERR_SERF_CONNECTION"),
    );
  });
});
