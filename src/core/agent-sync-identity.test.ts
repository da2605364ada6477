// Serf and Consul members follow the agents' rule: a member's tags or inventory naming another machine's
// identity raise a conflict; the other machine does not change. (A port fake: the real serf runs in test/serf.)
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AgentMember, AgentPort } from "./agent-port.js";
import { testCore } from "./testing/fixtures.js";

const B = "52:54:00:bb:00:01";

/** An agent system fake with one member whose tags and inventory the test chooses. */
function port(member: AgentMember, inventory: unknown): AgentPort {
  return {
    id: "serf:fake",
    members: async () => [member],
    inventory: async () => inventory,
    reboot: async () => ({ state: "acknowledged", detail: "ok" }),
  };
}

test("a member tagged with another machine's MAC or naming its UUID does not merge into it", async () => {
  const { core } = testCore();
  await core.agentReports.report({ kind: "token", id: "x", name: "x", role: "admin" }, [B], {
    uuid: "bbbbbbbb-0000-4000-8000-000000000001",
    cpu: { model: "B" },
  });
  const before = JSON.stringify(core.machines.get(B));
  core.agents.add(
    port(
      { name: "intruder", macs: ["52:54:00:aa:00:01", B], alive: true },
      {
        uuid: "bbbbbbbb-0000-4000-8000-000000000001",
        cpu: { model: "evil" },
      },
    ),
  );
  const [r] = await core.agentSync.syncAll();
  assert.deepEqual(r!.errors, []);
  assert.equal(JSON.stringify(core.machines.get(B)), before);
  assert.deepEqual(core.machines.get("52:54:00:aa:00:01").macs, ["52:54:00:aa:00:01"]);
  const [c] = core.conflicts.list();
  assert.deepEqual(
    [c?.machine, c?.other, c?.identities.map((i) => i.kind), c?.credential],
    ["52:54:00:aa:00:01", B, ["mac", "uuid"], "serf:fake member intruder"],
  );
  // The next pass raises nothing new: no event storm every sync interval.
  const seq = core.events.lastSeq();
  await core.agentSync.syncAll();
  assert.equal(core.conflicts.list().length, 1);
  assert.equal(core.events.since(seq).filter((e) => e.kind === "machine.conflict").length, 0);
});
