// The machine screen's latest boot, in Debian's Chromium against a real server: a real TFTP client (curl) and
// HTTP requests make a boot; the screen shows its steps with the stop step highlighted and its hint, and a
// new attempt (a loader that is not there) replaces it live.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import {
  assertAccessible,
  newContext,
  screenshot,
  signIn,
  startUi,
  watchErrors,
} from "../support/browser.js";

const run = promisify(execFile);
const MAC = "52:54:00:7e:22:01";

test(
  "the latest boot shows as a timeline; the stop step is highlighted with its hint, and follows a new attempt",
  { timeout: 90_000 },
  async () => {
    const { enf, browser, close } = await startUi([], { tftp: true });
    try {
      const tftp = `tftp://127.0.0.1:${(enf as { tftpPort?: number }).tftpPort}`;
      await enf.api("POST", "/machines", { mac: MAC, hostname: "rack-7" });
      await run("curl", ["-sS", "-o", "/dev/null", `${tftp}/ipxe.efi`]);
      await (await fetch(`${enf.base}/boot.ipxe`)).text();
      await (await fetch(`${enf.base}/boot/machine?mac=${MAC}`)).text();

      const page = await (await newContext(browser)).newPage();
      const errors = watchErrors(page);
      await signIn(page, enf.base, enf.token);
      await page.goto(`${enf.base}/ui/#/machines/${MAC}`);
      await page.getByRole("heading", { name: "rack-7", level: 1 }).waitFor();
      const card = page.getByRole("region", { name: "Latest boot" });
      const steps = card.getByRole("list", { name: "Steps of boot attempt 1" });
      await steps.waitFor();
      assert.equal(await steps.getByRole("listitem").count(), 3);
      assert.match(
        (await steps.getByRole("listitem").nth(0).textContent())!,
        /TFTP\s+tftp ipxe\.efi complete/,
      );
      const stop = card.locator('[aria-current="step"]');
      assert.match((await stop.textContent())!, /http machine-script 404 none:no-config/);
      assert.match((await stop.getByRole("note").textContent())!, /every source fell through/);
      assert.match((await card.textContent())!, /Attempt 1, .*Fell through to its local disk/);
      await assertAccessible(page, "machine screen with its latest boot");
      await screenshot(page, "machine-latest-boot");

      // The next boot asks for a loader that is not there: a new attempt, stopped at that step, named.
      await run("curl", ["-sS", "-o", "/dev/null", `${tftp}/snponly-x.efi`]).catch(() => undefined);
      await card.getByRole("list", { name: "Steps of boot attempt 2" }).waitFor({ timeout: 15_000 });
      const stop2 = card.locator('[aria-current="step"]');
      assert.match((await stop2.textContent())!, /tftp snponly-x\.efi refused/);
      assert.match((await stop2.getByRole("note").textContent())!, /snponly-x\.efi is not in the boot files/);
      assert.match((await card.textContent())!, /Attempt 2, .*Stopped/);
      await screenshot(page, "machine-latest-boot-stopped");
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  },
);
