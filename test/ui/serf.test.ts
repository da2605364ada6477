// The web app over a real Serf cluster (Debian's serf agents, the shipped handlers): a member appears in the
// list, the settings show the agent system, and a reboot sent from the UI runs through Serf.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { newContext, signIn, startUi, watchErrors } from "../support/browser.js";
import { startSerfCluster } from "../support/serf-cluster.js";
import { until } from "../support/until.js";

const MAC = "52:54:00:40:00:0b";

test(
  "web UI with real serf agents: the member is listed with its agent system, and a reboot goes through serf",
  { timeout: 120_000 },
  async () => {
    const marker = join(mkdtempSync(join(tmpdir(), "ui-serf-")), "rebooted");
    const nodes = await startSerfCluster([
      { name: "enforcer" },
      {
        name: "node-b",
        tags: { mac: MAC },
        handlers: ["query:inventory=inventory.sh", "query:reboot=reboot.sh"],
        env: { ENFORCER_REBOOT_CMD: `touch ${marker}` },
      },
    ]);
    const { enf, browser, close } = await startUi([
      "--serf",
      `127.0.0.1:${nodes[0]!.rpc}`,
      "--agent-interval",
      "1",
    ]);
    try {
      const page = await (await newContext(browser)).newPage();
      const errors = watchErrors(page);
      await signIn(page, enf.base, enf.token);
      const row = page.getByRole("link", { name: MAC });
      await row.waitFor({ timeout: 30_000 });
      const agent = `serf:127.0.0.1:${nodes[0]!.rpc}`;

      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
      await page
        .getByRole("listitem")
        .filter({ hasText: `${agent} reaches 1 machine` })
        .waitFor();

      await page.goto(`${enf.base}/ui/#/machines/${MAC}`);
      await page.locator("dd", { hasText: agent }).waitFor();
      await page.getByRole("button", { name: "Reboot…" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Reboot now" }).click();
      await page.getByText("Agent acknowledged the reboot").waitFor({ timeout: 30_000 });
      await until("serf's reboot handler", async () => (existsSync(marker) ? true : undefined));
      assert.deepEqual(errors, []);
    } finally {
      await close();
      await Promise.all(nodes.map((n) => n.kill()));
    }
  },
);
