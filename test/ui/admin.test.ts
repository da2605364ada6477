// The admin screens in Debian's Chromium against a real server: edit a profile, switch discovery, create
// and revoke a token, edit and forget a machine; each change is checked through the API.
import assert from "node:assert/strict";
import { test } from "node:test";
import { newContext, signIn, startUi, watchErrors } from "../support/browser.js";
import { until } from "../support/until.js";

const LOCATION =
  "http://deb.example/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64";

test(
  "admin screens: edit a profile, switch discovery, create and revoke a token, edit and forget a machine",
  { timeout: 90_000 },
  async () => {
    const { enf, browser, close } = await startUi();
    try {
      await enf.api("POST", "/profiles", {
        name: "deb12",
        family: "debian",
        location: LOCATION,
        provisioning: "a\n",
      });
      const page = await (await newContext(browser)).newPage();
      const errors = watchErrors(page);
      await signIn(page, enf.base, enf.token);
      const nav = page.getByRole("navigation", { name: "Main" });

      // Edit: the family decides which fields show; the saved profile is what the API returns.
      await nav.getByRole("link", { name: "Profiles" }).click();
      await page.getByRole("link", { name: "deb12" }).click();
      await page.getByRole("heading", { name: "Profile deb12", level: 1 }).waitFor();
      assert.equal(
        await page.getByLabel("Kernel command line").isVisible(),
        false,
        "a custom-only field shows for debian",
      );
      await page.getByLabel("Provisioning file").fill("d-i netcfg/get_hostname string {{ hostname }}\n");
      await page.getByLabel("Extra kernel arguments").fill("quiet");
      await page.getByRole("button", { name: "Save changes" }).click();
      await page.getByText("Saved.").waitFor();
      const saved = await enf.api<{ provisioning: string; extraArgs: string }>("GET", "/profiles/deb12");
      assert.deepEqual(
        [saved.body.provisioning, saved.body.extraArgs],
        ["d-i netcfg/get_hostname string {{ hostname }}\n", "quiet"],
      );

      // Discovery: a switch, announced and stored.
      await nav.getByRole("link", { name: "Settings" }).click();
      const discovery = page.getByRole("switch");
      assert.equal(await discovery.getAttribute("aria-checked"), "false");
      await discovery.click();
      await until("discovery on", async () =>
        (await discovery.getAttribute("aria-checked")) === "true" ? true : undefined,
      );
      assert.equal((await enf.api<{ enabled: boolean }>("GET", "/discovery")).body.enabled, true);
      await discovery.click();
      await until("discovery off", async () =>
        (await discovery.getAttribute("aria-checked")) === "false" ? true : undefined,
      );
      assert.equal((await enf.api<{ enabled: boolean }>("GET", "/discovery")).body.enabled, false);

      // Tokens: the new secret is shown once and works against the API; revoking it stops it.
      await nav.getByRole("link", { name: "Tokens" }).click();
      await page.getByLabel("Name").fill("ci-pipeline");
      await page.getByLabel("Role").selectOption("viewer");
      await page.getByRole("button", { name: "Create token" }).click();
      const secret = await page.getByRole("textbox", { name: "New token" }).inputValue();
      assert.match(secret, /^enf_/);
      const whoami = await fetch(`${enf.base}/api/v1/whoami`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      assert.deepEqual(await whoami.json().then((b: { name: string; role: string }) => [b.name, b.role]), [
        "ci-pipeline",
        "viewer",
      ]);
      await page.getByRole("button", { name: "Revoke token ci-pipeline" }).click();
      await page
        .getByRole("dialog", { name: "Revoke this token?" })
        .getByRole("button", { name: "Revoke token" })
        .click();
      await until("the row gone", async () =>
        (await page.getByRole("cell", { name: "ci-pipeline" }).count()) === 0 ? true : undefined,
      );
      const after = await fetch(`${enf.base}/api/v1/whoami`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      assert.equal(after.status, 401);
      // The last admin token cannot be revoked: the refusal, in words.
      await page.getByRole("button", { name: "Revoke token initial admin" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Revoke token" }).click();
      await page
        .getByRole("alert")
        .getByText("This is the last admin token; create another admin token before revoking it.", {
          exact: true,
        })
        .waitFor();
      // A machine: host name and labels edited (a bad host name refused in words), then forgotten.
      const mac = "52:54:00:30:00:01";
      await enf.api("POST", "/machines", { mac });
      await page.goto(`${enf.base}/ui/#/machines/${mac}`);
      await page.getByText("Host name, labels, forget").click();
      await page.getByLabel("Host name", { exact: true }).fill("bad_host!");
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await page.getByRole("alert").getByText("That host name is not valid", { exact: false }).waitFor();
      await page.getByLabel("Host name", { exact: true }).fill("db-7");
      await page.getByLabel("Labels").fill("rack=r9\nrole=db");
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await page.getByText("Saved.").waitFor();
      const edited = await enf.api<{ hostname: string; labels: Record<string, string> }>(
        "GET",
        `/machines/${mac}`,
      );
      assert.deepEqual([edited.body.hostname, edited.body.labels], ["db-7", { rack: "r9", role: "db" }]);
      await page.locator("dd", { hasText: "rack=r9, role=db" }).waitFor();
      await page.getByRole("button", { name: "Forget machine…" }).click();
      await page
        .getByRole("dialog", { name: "Forget this machine?" })
        .getByRole("button", { name: "Forget machine" })
        .click();
      await page.getByRole("heading", { name: "Machines", level: 1 }).waitFor();
      assert.equal((await enf.api("GET", `/machines/${mac}`)).status, 404);
      assert.deepEqual(
        errors.filter((e) => !/status of (400|409)/.test(e)),
        [],
      );
    } finally {
      await close();
    }
  },
);
