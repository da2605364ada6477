// The machine screen's power panel in Debian's Chromium against a real server driving Debian's ipmi_sim:
// the admin's form stores the BMC password (never shown again, in the page or in any answer), the state is
// read, Power on / Power off / Network boot once reach the simulated chassis after their questions, an empty
// password keeps the stored one only while driver, address and user stay the same, and a wrong password is
// the BMC's refusal in the UI's error style.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { memoryChassis, startIpmiSim, type IpmiSim } from "../../src/power/testing/ipmi-sim.js";
import {
  assertAccessible,
  newContext,
  SCREENSHOTS,
  signIn,
  startUi,
  watchErrors,
} from "../support/browser.js";
import { until } from "../support/until.js";

const MAC = "52:54:00:16:00:02";
// Unusual enough that finding it anywhere means it leaked.
const PASSWORD = "Ui-pw-Q7x!k2";

test(
  "power panel with IPMI against ipmi_sim: state, on/off and network boot once after questions, the password never shown, a wrong password in words",
  { timeout: 150_000 },
  async () => {
    const chassis = memoryChassis();
    const sim: IpmiSim = await startIpmiSim({ username: "admin", password: PASSWORD, chassis });
    const { enf, browser, close } = await startUi().catch(async (err: unknown) => {
      await sim.stop();
      throw err;
    });
    try {
      await enf.api("POST", "/machines", { mac: MAC });
      const page = await (await newContext(browser)).newPage();
      const errors = watchErrors(page);
      // Every API answer the page reads (not the event stream, which never ends), to grep for the password.
      const answers: Promise<string>[] = [];
      page.on("response", (r) => {
        if (r.url().includes("/api/v1/") && !r.url().includes("/events"))
          answers.push(r.text().catch(() => ""));
      });
      await signIn(page, enf.base, enf.token);
      await page.goto(`${enf.base}/ui/#/machines/${MAC}`);
      const panel = page.getByRole("region", { name: "Power" });
      await panel.getByRole("heading", { name: "Set up power control" }).waitFor();
      // The edit form is folded away; a save redraws it folded.
      const openEdit = async () => {
        if ((await panel.locator("details.edit[open]").count()) === 0)
          await panel.getByText("Change or remove power control").click();
      };

      await panel.getByLabel("Driver").selectOption("ipmi");
      mkdirSync(SCREENSHOTS, { recursive: true });
      await panel.screenshot({ path: join(SCREENSHOTS, "desktop-power-setup.png") });
      await panel.getByLabel("Address").fill(sim.address);
      await panel.getByLabel("User", { exact: true }).fill("admin");
      await panel.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await panel.getByLabel("Cipher suite").fill("3");
      await panel.getByRole("button", { name: "Save power control" }).click();
      await panel.getByText("Power control saved.").waitFor();
      await panel.locator("dd", { hasText: "stored (encrypted)" }).waitFor();
      const offered = await panel
        .getByRole("group", { name: "Power actions" })
        .getByRole("button")
        .allTextContents();
      assert.deepEqual(offered, [
        "Power on…",
        "Power off…",
        "Power cycle…",
        "Network boot once…",
        "Refresh status",
      ]);

      // The state as the BMC tells it.
      await panel.getByRole("button", { name: "Refresh status" }).click();
      await panel
        .getByRole("status")
        .getByText(/^Status read: .*Power is off\./)
        .waitFor();
      await panel.locator(".badge", { hasText: "Off" }).waitFor();

      // Power on after its question: the chassis is on, the answer is the BMC's words.
      await panel.getByRole("button", { name: "Power on…" }).click();
      await page
        .getByRole("dialog", { name: `Power on ${MAC}?` })
        .getByRole("button", { name: "Power on" })
        .click();
      await panel
        .getByRole("status")
        .getByText(/^Power on sent: .*Up\/On/)
        .waitFor();
      assert.equal(chassis.on, true, "the chassis is not on");
      await panel.locator(".badge", { hasText: "On" }).waitFor();
      await assertAccessible(page, "machine screen with IPMI power control");
      await panel.screenshot({ path: join(SCREENSHOTS, "desktop-power.png") });

      // Power off: the question says what happens to the machine; Cancel leaves it on.
      await panel.getByRole("button", { name: "Power off…" }).click();
      const off = page.getByRole("dialog", { name: `Power off ${MAC}?` });
      await off
        .getByText("The machine stops at once, without shutting down its OS.", { exact: false })
        .waitFor();
      await off.getByRole("button", { name: "Cancel" }).click();
      assert.equal(chassis.on, true, "a cancelled Power off switched it off");
      await panel.getByRole("button", { name: "Power off…" }).click();
      await off.getByRole("button", { name: "Power off" }).click();
      await panel
        .getByRole("status")
        .getByText(/^Power off sent: /)
        .waitFor();
      assert.equal(chassis.on, false, "the chassis is not off");
      await panel.locator(".badge", { hasText: "Off" }).waitFor();

      // Someone else powers it on (the CLI, a reboot command): the panel follows without a reload.
      assert.equal((await enf.api("POST", `/machines/${MAC}/power/on`)).status, 200);
      await panel.locator(".badge", { hasText: "On" }).waitFor();
      await page.getByRole("region", { name: "Timeline" }).getByText("Power is now on").first().waitFor();

      // Network boot once: the BMC's next boot device is the network; power is left alone.
      await panel.getByRole("button", { name: "Network boot once…" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Network boot once" }).click();
      await panel
        .getByRole("status")
        .getByText(/^Network boot once set: /)
        .waitFor();
      assert.deepEqual([chassis.boot, chassis.on], ["pxe", true]);

      // The password appears nowhere: not in the page, not in a field, not in any answer it read.
      const fields = await page.evaluate(() =>
        [...document.querySelectorAll("input")].map((i) => (i as HTMLInputElement).value),
      );
      assert.ok(!fields.includes(PASSWORD), "a field holds the password");
      assert.ok(!(await page.content()).includes(PASSWORD), "the page shows the password");
      // The machine's own answer carries its power control (the screen reads it there), without the password.
      const m = await enf.api<{ power: { driver: string; hasPassword: boolean } }>("GET", `/machines/${MAC}`);
      assert.deepEqual([m.body.power.driver, m.body.power.hasPassword], ["ipmi", true]);
      assert.ok(!JSON.stringify(m.body).includes(PASSWORD), "the machine's answer carries the password");
      const leaked = (await Promise.all(answers)).filter((t) => t.includes(PASSWORD));
      assert.deepEqual(leaked, [], "an API answer carries the password");

      // Saved again with the password empty: kept while driver, address and user are the same.
      await openEdit();
      await panel.getByLabel("Cipher suite").fill("3");
      await panel.getByRole("button", { name: "Save power control" }).click();
      await panel.getByText("Power control saved.").waitFor();
      const kept = await enf.api<{ hasPassword: boolean }>("GET", `/machines/${MAC}/power`);
      assert.equal(kept.body.hasPassword, true, "saving without a password dropped it");
      // Another user without a password: refused, in words, naming the field.
      await openEdit();
      await panel.getByLabel("User", { exact: true }).fill("operator");
      await panel.getByRole("button", { name: "Save power control" }).click();
      const refused = panel.getByRole("alert");
      await refused.getByText("ENF_ERR_POWER_INVALID").waitFor();
      assert.match((await refused.textContent())!, /password/);

      // A wrong password: the BMC's refusal as a coded error, and then as the panel's last error.
      await openEdit();
      await panel.getByLabel("User", { exact: true }).fill("admin");
      await panel.getByLabel("Password", { exact: true }).fill("not-the-pw");
      await panel.getByRole("button", { name: "Save power control" }).click();
      await panel.getByText("Power control saved.").waitFor();
      await panel.getByRole("button", { name: "Refresh status" }).click();
      const alert = panel.getByRole("alert");
      await alert.getByText("The BMC refused the stored user name or password.").waitFor();
      await alert.getByText("ENF_ERR_POWER_AUTH", { exact: true }).waitFor();
      await until("the last error shown with the state", async () =>
        (await panel.locator(".power-error", { hasText: "ENF_ERR_POWER_AUTH" }).count()) > 0
          ? true
          : undefined,
      );
      await assertAccessible(page, "machine screen with a BMC error");
      await panel.screenshot({ path: join(SCREENSHOTS, "desktop-power-error.png") });
      // 400: the refused save; 502: the BMC's refusal. Both shown in the page.
      assert.deepEqual(
        errors.filter((e) => !/status of (400|502)/.test(e)),
        [],
      );
    } finally {
      await close();
      await sim.stop();
    }
  },
);
