// The operator's story in Debian's Chromium against a real `enforcer serve` and a real agent process:
// sign in, a machine reported by the agent appears without a reload, arm a config and reboot it through
// the UI, and watch the state change live as the machine fetches its config and completes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { focused, newContext, signIn, startUi, watchErrors } from "../support/browser.js";
import { until } from "../support/until.js";

const LOCATION =
  "http://deb.example/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64";

test(
  "web UI in Chromium: agent-reported machine appears live, arm + reboot with confirmation, state follows the boot",
  { timeout: 150_000 },
  async () => {
    const { enf, browser, close } = await startUi();
    const dir = mkdtempSync(join(tmpdir(), "ui-agent-"));
    const marker = join(dir, "rebooted");
    const logFd = openSync(join(dir, "agent.log"), "w");
    let agent: ReturnType<typeof spawn> | undefined;
    try {
      const page = await (await newContext(browser)).newPage();
      const errors = watchErrors(page);
      await signIn(page, enf.base, enf.token);
      await page.getByText("0 machines").waitFor();
      const nav = page.getByRole("navigation", { name: "Main" });

      // A profile, made through the editor.
      await nav.getByRole("link", { name: "Profiles" }).click();
      await page.getByRole("link", { name: "New profile" }).click();
      await page.getByLabel("Name").fill("deb12");
      await page.getByLabel("OS family").selectOption("debian");
      await page.getByLabel("Location").fill(LOCATION);
      await page.getByLabel("Provisioning file").fill("d-i netcfg/get_hostname string {{ hostname }}\n");
      await page.getByRole("button", { name: "Create profile" }).click();
      await page.getByRole("heading", { name: "Profile deb12", level: 1 }).waitFor();
      assert.equal((await enf.api<{ family: string }>("GET", "/profiles/deb12")).body.family, "debian");

      // The machine list is open when the agent first reports: its row appears without a reload.
      await nav.getByRole("link", { name: "Machines" }).click();
      await page.getByText("0 machines").waitFor();
      await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
      const token = (
        await enf.api<{ token: string }>("POST", "/tokens", { name: "host agent", role: "agent" })
      ).body.token;
      agent = spawn(
        process.execPath,
        [resolve("bin/enforcer.js"), "agent", "--url", enf.base, "--token", token],
        {
          env: { ...process.env, ENFORCER_REBOOT_CMD: `touch ${marker}` },
          stdio: ["ignore", logFd, logFd],
          detached: true,
        },
      );
      const row = page.locator("table.machines tr.row a").first();
      await row.waitFor({ timeout: 30_000 });
      await page.getByText("1 machine", { exact: true }).waitFor();
      assert.equal(
        await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
        true,
      );
      const mac = (await row.textContent())!.trim();
      assert.match(mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);

      // The machine screen: facts and the agent that reaches it.
      await row.click();
      await page.getByRole("heading", { name: "Facts" }).waitFor();
      await page.locator("dd", { hasText: "json:host agent" }).waitFor();
      await page.getByRole("term").filter({ hasText: "Memory" }).first().waitFor();

      // Arm a config: confirmation first, then the state shows live.
      await page.getByLabel("Profile").selectOption("deb12");
      await page.getByRole("button", { name: "Arm config…" }).click();
      const armDialog = page.getByRole("dialog", { name: "Arm this config?" });
      await armDialog.waitFor();
      await armDialog.getByRole("button", { name: "Arm config" }).click();
      const state = page.getByRole("region", { name: "Current config" }).locator(".badge");
      const stateIs = (word: string) =>
        until(`state ${word}`, async () => ((await state.textContent()) === word ? true : undefined));
      await stateIs("Armed");
      await page.getByText("Config armed: the next network boot runs it").waitFor();

      // Reboot by keyboard: the dialog opens on Cancel (the safe choice); Tab, Enter confirms.
      await page.getByRole("button", { name: "Reboot…" }).focus();
      await page.keyboard.press("Enter");
      await page.getByRole("dialog", { name: "Reboot this machine?" }).waitFor();
      assert.equal(await focused(page), "button:Cancel");
      await page.keyboard.press("Tab");
      assert.equal(await focused(page), "button:Reboot now");
      await page.keyboard.press("Enter");
      await page.getByText("Agent acknowledged the reboot").waitFor({ timeout: 30_000 });
      // The agent acknowledges first, then reboots.
      await until("the agent's (stand-in) reboot", async () => (existsSync(marker) ? true : undefined));
      assert.equal(
        await focused(page),
        "button:Reboot…",
        "focus returns to the button that opened the dialog",
      );

      // The machine boots: fetching its script triggers the config, the callback completes it; both live.
      const detail = await enf.api<{ config: { urls: { complete: string } } }>("GET", `/machines/${mac}`);
      const boot = await fetch(`${enf.base}/boot/machine?mac=${mac}&platform=pcbios`);
      assert.match(await boot.text(), /preseed\.cfg/);
      await stateIs("Booting");
      await page.getByText("Fetched its config: provisioning started").waitFor();
      assert.equal((await fetch(detail.body.config.urls.complete)).status, 200);
      await stateIs("Provisioned");

      // Back on the list, a change made elsewhere (the CLI, another operator) shows on the badge by itself.
      await nav.getByRole("link", { name: "Machines" }).click();
      const badge = page.locator(`tr[data-id="${mac}"] .badge`);
      await until("the list badge", async () =>
        (await badge.textContent()) === "Provisioned" ? true : undefined,
      );
      const c = await enf.api<{ id: string }>("POST", "/configs", { machine: mac, profile: "deb12" });
      await enf.api("POST", `/configs/${c.body.id}/arm`);
      await until("the live badge", async () => ((await badge.textContent()) === "Armed" ? true : undefined));

      assert.deepEqual(errors, [], "no script errors and no refused resources");
    } finally {
      if (agent?.pid) {
        try {
          process.kill(-agent.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      closeSync(logFd);
      await close();
    }
  },
);
