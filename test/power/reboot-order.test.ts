// --reboot-order power,agent against a JSON agent whose long poll is open: which carries the reboot?
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startIpmiSim, type IpmiSim } from "../../src/power/testing/ipmi-sim.js";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { until } from "../support/until.js";

const MAC = "52:54:00:c1:00:01";

describe("--reboot-order power,agent with a JSON agent polling", { timeout: 60_000 }, () => {
  let enf: EnforcerProcess;
  let sim: IpmiSim;

  before(async () => {
    enf = await startEnforcer(["--reboot-order", "power,agent"]);
    sim = await startIpmiSim({ username: "admin", password: "order-test-pw" });
  });
  after(async () => {
    await enf?.stop();
    await sim?.stop();
  });

  // Found by the IPMI proof: the agent's open poll hears the command queued (from the store's change feed)
  // and takes it before delivery asks power control, so a disk-first machine reboots into its disk.
  test(
    "the reboot goes through the BMC, not the agent's open poll",
    { todo: "core: CommandPolls takes a queued reboot before the PowerExecutor is asked" },
    async () => {
      assert.equal((await enf.api("POST", "/machines", { mac: MAC })).status, 201);
      const power = { driver: "ipmi", address: sim.address, username: "admin", password: "order-test-pw" };
      assert.equal((await enf.api("PUT", `/machines/${MAC}/power`, power)).status, 200);
      const tok = await enf.api<{ token: string }>("POST", "/tokens", {
        name: "a",
        role: "agent",
        machine: MAC,
      });
      assert.equal(tok.status, 201);
      // The agent's long poll, open before the reboot is queued.
      const poll = fetch(`${enf.base}/api/v1/agent/commands?wait=10&mac=${encodeURIComponent(MAC)}`, {
        headers: { authorization: `Bearer ${tok.body.token}` },
      }).then((r) => r.text());
      await new Promise((r) => setTimeout(r, 500));
      const cmd = await enf.api<{ id: string }>("POST", "/commands", { machine: MAC, type: "reboot" });
      assert.equal(cmd.status, 202);
      const c = await until("the reboot's delivery", async () => {
        const r = await enf.api<{ state: string; agent?: string }>("GET", `/commands/${cmd.body.id}`);
        return r.body.state === "queued" ? undefined : r.body;
      });
      await poll;
      assert.equal(c.agent, "power:ipmi");
    },
  );
});
