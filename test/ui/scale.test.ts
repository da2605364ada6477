// 10,000 machines in the web app, in Debian's Chromium: the list draws only the rows in view, scrolls to the
// last machine, filters on the server, and a badge deep in the list still follows the live stream.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { benchMac, seed } from "../../bench/seed.js";
import { newContext, signIn, startUi, watchErrors } from "../support/browser.js";
import { until } from "../support/until.js";

const MACHINES = 10_000;
const ARMED = 50;

test(
  "10,000 machines: windowed rows, scroll to the last, server-side filters, a live badge mid-list",
  { timeout: 120_000 },
  async () => {
    const data = mkdtempSync(join(tmpdir(), "ui-scale-"));
    await seed(join(data, "store"), MACHINES, ARMED);
    const { enf, browser, close } = await startUi([], { data });
    try {
      const page = await (await newContext(browser)).newPage();
      const errors = watchErrors(page);
      await signIn(page, enf.base, enf.token);
      await page.getByText("10,000 machines").waitFor();
      await page.getByRole("link", { name: benchMac(0) }).waitFor();
      const rowsInDom = () => page.locator("tr.row").count();
      const drawn = await rowsInDom();
      assert.ok(drawn > 5 && drawn < 80, `${drawn} rows drawn for 10,000 machines`);
      assert.equal(await page.locator("table.machines").getAttribute("aria-rowcount"), String(MACHINES + 1));

      // To the very end: the last page is fetched when it comes into view.
      const scroller = page.getByRole("region", { name: "Machine list" });
      await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.getByRole("link", { name: benchMac(MACHINES - 1) }).waitFor();
      assert.ok((await rowsInDom()) < 80, "scrolling drew more than the rows in view");
      const lastIndex = await page.locator("tr.row").last().getAttribute("aria-rowindex");
      assert.equal(lastIndex, String(MACHINES + 1));

      // Filters run on the server.
      await page.getByLabel("State").selectOption("armed");
      await page.getByText(`${ARMED} machines`).waitFor();
      assert.match(page.url(), /#\/machines\?state=armed$/);
      await page.getByLabel("State").selectOption("");
      await page.getByLabel("Search").fill("node-9999.rack");
      await page.getByText("1 machine", { exact: true }).waitFor();
      await page.getByRole("link", { name: benchMac(9999) }).waitFor();
      await page.getByLabel("Search").fill("");
      await page.getByText("10,000 machines").waitFor();

      // Mid-list: a config armed elsewhere turns this machine's badge without a reload.
      const target = 5_000;
      await scroller.evaluate((el, top) => (el.scrollTop = top), target * 44);
      const badge = page.locator(`tr[data-id="${benchMac(target)}"] .badge`);
      await badge.waitFor();
      assert.equal(await badge.textContent(), "No config");
      const c = await enf.api<{ id: string }>("POST", "/configs", {
        machine: benchMac(target),
        profile: "bench",
      });
      await enf.api("POST", `/configs/${c.body.id}/arm`);
      await until("the live badge", async () => ((await badge.textContent()) === "Armed" ? true : undefined));
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  },
);
