// Identity conflicts in Debian's Chromium against a real server: two agent tokens claim one serial; the
// conflict shows as a badge in the list (live) and on the machine screen, where an operator merges the two
// after a question; the API then has one machine.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertAccessible,
  newContext,
  PHONE,
  screenshot,
  signIn,
  startUi,
  watchErrors,
} from "../support/browser.js";
import { until } from "../support/until.js";

const OLD = "52:54:00:40:00:01";
const NEW = "52:54:00:40:00:02";

test(
  "identity conflicts: a badge in the list, shown on the machine, merged after a question",
  { timeout: 90_000 },
  async () => {
    const { enf, browser, close } = await startUi();
    try {
      const report = async (name: string, mac: string) => {
        const t = await enf.api<{ token: string }>("POST", "/tokens", { name, role: "agent" });
        const r = await fetch(`${enf.base}/api/v1/agent/report`, {
          method: "POST",
          headers: { authorization: `Bearer ${t.body.token}`, "content-type": "application/json" },
          body: JSON.stringify({ macs: [mac], inventory: { serial: "SN-BOARD-7", cpu: { model: "x" } } }),
        });
        assert.equal(r.status, 200);
      };
      await report("host-old", OLD);
      const page = await (await newContext(browser)).newPage();
      const errors = watchErrors(page);
      await signIn(page, enf.base, enf.token);
      await page.getByRole("link", { name: OLD }).waitFor();
      assert.equal(await page.getByText("Identity conflict", { exact: true }).count(), 0);

      // The board moved to a new NIC: its new agent claims the old machine's serial. The list shows it live.
      await report("host-new", NEW);
      await until("two conflict badges", async () =>
        (await page.getByText("Identity conflict", { exact: true }).count()) === 2 ? true : undefined,
      );

      // On a phone too: the badge fits, nothing scrolls sideways.
      const phone = await (await newContext(browser, PHONE, "dark")).newPage();
      await signIn(phone, enf.base, enf.token);
      await phone.getByText("Identity conflict", { exact: true }).first().waitFor();
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= PHONE.width, `the list is ${width}px wide on a phone`);
      await assertAccessible(phone, "machine list with conflicts, phone, dark");
      await screenshot(phone, "machines-conflict-phone");

      await page.getByRole("link", { name: NEW }).click();
      const section = page.getByRole("region", { name: "Identity conflicts" });
      await section.getByText("SERIAL SN-BOARD-7").waitFor();
      await assertAccessible(page, "machine with a conflict");
      await screenshot(page, "machine-conflict");
      // Cancel first: nothing happens.
      await section.getByRole("button", { name: "Merge…" }).click();
      await page
        .getByRole("dialog", { name: "Merge these machines?" })
        .getByRole("button", { name: "Cancel" })
        .click();
      assert.equal((await enf.api<{ items: unknown[] }>("GET", "/conflicts")).body.items.length, 1);
      await section.getByRole("button", { name: "Merge…" }).click();
      await page
        .getByRole("dialog", { name: "Merge these machines?" })
        .getByRole("button", { name: "Merge" })
        .click();
      // The old machine's screen, now with both MACs and no conflict.
      await page.locator("dd", { hasText: `${OLD}, ${NEW}` }).waitFor();
      assert.equal(await page.getByRole("region", { name: "Identity conflicts" }).count(), 0);
      assert.equal((await enf.api<{ items: unknown[] }>("GET", "/conflicts")).body.items.length, 0);
      const machines = await enf.api<{ total: number }>("GET", "/machines");
      assert.equal(machines.body.total, 1);
      await page.getByText(`Identity conflict with ${NEW} merged`).waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  },
);
