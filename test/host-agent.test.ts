// `enforcer agent` on this very host: the shipped POSIX agent with an agent-role token, against the real server.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { startEnforcer } from "./support/enforcer-process.js";
import { until } from "./support/until.js";

test(
  "enforcer agent reports this host and carries out a reboot command (a harmless stand-in)",
  { timeout: 60_000 },
  async () => {
    const enf = await startEnforcer();
    const dir = mkdtempSync(join(tmpdir(), "host-agent-"));
    const marker = join(dir, "rebooted");
    const logPath = join(dir, "agent.log");
    const logFd = openSync(logPath, "w");
    const output = () => readFileSync(logPath, "utf8");
    const token = (await enf.api<{ token: string }>("POST", "/tokens", { name: "host agent", role: "agent" }))
      .body.token;
    const args = [resolve("bin/enforcer.js"), "agent", "--url", enf.base, "--token", token];
    const agent = spawn(process.execPath, args, {
      env: { ...process.env, ENFORCER_REBOOT_CMD: `touch ${marker}` },
      // Output to a file, not a pipe: a wget still finishing its long poll must not hold the runner open.
      stdio: ["ignore", logFd, logFd],
      detached: true, // its own process group, killed as a whole at the end
    });
    try {
      const machines = await until("the host's report", async () => {
        if (agent.exitCode !== null) throw new Error(`enforcer agent exited ${agent.exitCode}: ${output()}`);
        const r = await enf.api<{ items: { id: string; agents?: string[] }[] }>("GET", "/machines");
        return r.body.items.length > 0 ? r.body.items : undefined;
      });
      const host = machines[0]!;
      assert.deepEqual(host.agents, ["json:host agent"]);
      const detail = await enf.api<{ facts: { memoryKiB: number; cpu: { count: number } } }>(
        "GET",
        `/machines/${host.id}`,
      );
      assert.ok(detail.body.facts.memoryKiB > 0 && detail.body.facts.cpu.count > 0, output());
      const cmd = await enf.api<{ id: string }>("POST", "/commands", { machine: host.id, type: "reboot" });
      await until("the stand-in reboot", async () => (existsSync(marker) ? true : undefined));
      const state = await until("the acknowledgement", async () => {
        const r = await enf.api<{ state: string }>("GET", `/commands/${cmd.body.id}`);
        return r.body.state === "acknowledged" ? r.body.state : undefined;
      });
      assert.equal(state, "acknowledged");
    } finally {
      try {
        process.kill(-agent.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      closeSync(logFd);
      await enf.stop();
    }
  },
);
