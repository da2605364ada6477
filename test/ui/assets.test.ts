// The Assets screen in Debian's Chromium against a real server with the cache on and a loopback mirror: the
// file an armed config boots is listed with its size, source and use; an operator pre-seeds a URL and
// removes a file no config needs; a viewer only reads. Accessible (axe) like every screen.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startMirror } from "../../src/core/testing/asset-mirror.js";
import {
  assertAccessible,
  newContext,
  screenshot,
  signIn,
  startUi,
  watchErrors,
} from "../support/browser.js";

test(
  "Assets screen: lists the cache with its use, pre-seeds a URL, removes an unused file",
  { timeout: 90_000 },
  async () => {
    const mirror = await startMirror({
      "/os/vmlinuz": { body: Buffer.alloc(2 * 1024 * 1024, 1) },
      "/os/extra.img": { body: Buffer.from("extra") },
    });
    const { enf, browser, close } = await startUi(["--asset-cache-size", "64MiB"]);
    try {
      await enf.api("POST", "/profiles", {
        name: "cached",
        family: "custom",
        kernel: `${mirror.url("")}/os/vmlinuz`,
        cmdline: "done={{complete_url}}",
      });
      const c = await enf.api<{ id: string }>("POST", "/configs", {
        machine: "52:54:00:ab:00:01",
        profile: "cached",
      });
      assert.equal((await enf.api("POST", `/configs/${c.body.id}/arm`)).status, 200);

      const page = await (await newContext(browser)).newPage();
      const errors = watchErrors(page);
      await signIn(page, enf.base, enf.token);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Assets" }).click();
      await page.getByRole("heading", { name: "Assets", level: 1 }).waitFor();
      await page.getByText("1 file(s), 2.0 MiB of 64 MiB used.").waitFor();
      const kernel = page.getByRole("row").filter({ hasText: "vmlinuz" });
      assert.match(
        await kernel.innerText(),
        new RegExp(`vmlinuz\\s+2\\.0 MiB\\s+${mirror.url("")}/os/vmlinuz\\s+.+\\s+1 config\\(s\\)`),
      );
      assert.equal(await kernel.getByRole("button").count(), 0, "no Remove for a file an armed config boots");
      await assertAccessible(page, "assets");
      await screenshot(page, "assets");

      await page.getByLabel("File URL").fill(`${mirror.url("")}/os/extra.img`);
      await page.getByRole("button", { name: "Fetch into cache" }).click();
      const extra = page.getByRole("row").filter({ hasText: "extra.img" });
      await extra.waitFor();
      assert.match(await extra.innerText(), /extra\.img\s+5 B\s+.*\s+no/);
      await extra.getByRole("button", { name: "Remove extra.img" }).click();
      await page
        .getByRole("dialog", { name: "Remove this file?" })
        .getByRole("button", { name: "Remove file" })
        .click();
      await extra.waitFor({ state: "detached" });
      const left = (await enf.api<{ items: { name: string }[] }>("GET", "/assets")).body.items.map(
        (a) => a.name,
      );
      assert.deepEqual(left, ["vmlinuz"]);

      const viewer = (await enf.api<{ token: string }>("POST", "/tokens", { name: "v", role: "viewer" })).body
        .token;
      const vpage = await (await newContext(browser)).newPage();
      await signIn(vpage, enf.base, viewer);
      await vpage.goto(`${enf.base}/ui/#/assets`);
      await vpage.getByRole("heading", { name: "Assets", level: 1 }).waitFor();
      await vpage.getByRole("row").filter({ hasText: "vmlinuz" }).waitFor();
      assert.equal(await vpage.getByLabel("File URL").count(), 0, "a viewer gets no pre-seed form");
      assert.deepEqual(errors, []);
    } finally {
      await close();
      await mirror.close();
    }
  },
);
