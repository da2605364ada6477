// The store's health in the web app, in Debian's Chromium: the real HTTP server and UI over the FAKE shared
// store (src/store/testing/shared-memory-store.ts) set unavailable, as a lost etcd quorum would: a banner in
// words on every screen, gone again when the store is back; accessible (axe) while shown.
import assert from "node:assert/strict";
import { test } from "node:test";
import { testApp } from "../../src/http/testing/app.js";
import { DEFAULT_UI_DIR } from "../../src/http/ui-routes.js";
import { SharedMemoryEngine } from "../../src/store/testing/shared-memory-store.js";
import {
  assertAccessible,
  launchChromium,
  newContext,
  screenshot,
  signIn,
  watchErrors,
} from "../support/browser.js";

const UNAVAILABLE = "The store is unavailable: changes cannot be saved; machines keep booting from memory.";

test(
  "fake shared store unavailable: a banner in words on every screen, the header says so; gone when it is back",
  { timeout: 90_000 },
  async () => {
    const engine = new SharedMemoryEngine();
    const t = await testApp({}, { uiDir: DEFAULT_UI_DIR }, engine.view());
    await t.http.listen({ port: 0, host: "127.0.0.1" });
    const base = `http://127.0.0.1:${(t.http.server.address() as { port: number }).port}`;
    const browser = await launchChromium();
    try {
      const page = await (await newContext(browser)).newPage();
      const errors = watchErrors(page);
      await signIn(page, base, t.tokens.admin);
      const header = page.getByRole("banner");
      await header.getByText("Store: etcd, ok").waitFor();
      const banner = page.getByRole("region", { name: "Store status" });
      assert.equal(await banner.count(), 0, "a banner while the store is ok");

      engine.setAvailable(false);
      const alert = page.getByRole("alert").filter({ hasText: UNAVAILABLE });
      await alert.waitFor({ timeout: 15_000 });
      assert.match((await alert.textContent())!, /Since .+\./);
      await header.getByText("Store: etcd, unavailable").waitFor();
      await assertAccessible(page, "machines, store unavailable");
      await screenshot(page, "store-unavailable");
      // Every screen, not only the one it appeared on.
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profiles" }).click();
      await page.getByRole("heading", { name: "Profiles", level: 1 }).waitFor();
      await alert.waitFor();
      // Writes are refused in the same words.
      const write = await fetch(`${base}/api/v1/machines`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.tokens.admin}`, "content-type": "application/json" },
        body: JSON.stringify({ mac: "52:54:00:5f:00:01" }),
      });
      assert.equal(write.status, 503);

      engine.setAvailable(true);
      await alert.waitFor({ state: "detached", timeout: 15_000 });
      await header.getByText("Store: etcd, ok").waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await t.http.close();
    }
  },
);
