// The store's health with a real etcd (Debian's etcd-server 3.4, one member on loopback) under a real
// `enforcer serve --store etcd://…`, in Debian's Chromium: the member stopped is a lost quorum: the banner in
// words on every screen, API writes 503 with the coded error, the boot script still served; the member back:
// the banner goes by itself and writes work.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startEtcd } from "../../src/store/testing/etcd-peer.js";
import { assertAccessible, newContext, signIn, startUi, watchErrors } from "../support/browser.js";

const UNAVAILABLE = "The store is unavailable: changes cannot be saved; machines keep booting from memory.";

test(
  "real etcd stopped: the banner on every screen, API writes 503 ENF_ERR_STORE_UNAVAILABLE, boot.ipxe served; etcd back: gone, writes work",
  { timeout: 120_000 },
  async () => {
    const etcd = await startEtcd();
    try {
      const { enf, browser, close } = await startUi(["--store", `etcd://${etcd.endpoints}`]);
      try {
        const page = await (await newContext(browser)).newPage();
        const errors = watchErrors(page);
        await signIn(page, enf.base, enf.token);
        const header = page.getByRole("banner");
        await header.getByText("Store: etcd, ok").waitFor();
        assert.equal((await enf.api("GET", "/status")).status, 200);

        await etcd.members[0]!.kill();
        const alert = page.getByRole("alert").filter({ hasText: UNAVAILABLE });
        await alert.waitFor({ timeout: 20_000 });
        await assertAccessible(page, "machines, etcd stopped");
        const write = await enf.api<{ code: string }>("POST", "/machines", { mac: "52:54:00:5f:00:03" });
        assert.deepEqual([write.status, write.body.code], [503, "ENF_ERR_STORE_UNAVAILABLE"]);
        assert.equal((await enf.api("GET", "/machines")).status, 200, "reads go on from memory");
        assert.equal((await fetch(`${enf.base}/boot.ipxe`)).status, 200, "the boot script is still served");
        const metrics = await fetch(`${enf.base}/metrics`, {
          headers: { authorization: `Bearer ${enf.token}` },
        });
        assert.match(await metrics.text(), /^enforcer_store_health\{state="unavailable"\} 1$/m);
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
        await alert.waitFor();

        await etcd.members[0]!.restart();
        await alert.waitFor({ state: "detached", timeout: 30_000 });
        const again = await enf.api("POST", "/machines", { mac: "52:54:00:5f:00:03" });
        assert.equal(again.status, 201);
        assert.deepEqual(
          errors.filter((e) => !/status of 503/.test(e)),
          [],
        );
      } finally {
        await close();
      }
    } finally {
      await etcd.stop();
    }
  },
);
