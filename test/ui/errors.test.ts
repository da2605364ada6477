// What the web app does with bad input and failures, in Debian's Chromium against a real server: a wrong
// token, a token without the right role, an API refusal, hostile facts, a revoked token, a server that stops.
import assert from "node:assert/strict";
import { test } from "node:test";
import { newContext, signIn, startUi, watchErrors } from "../support/browser.js";

const MAC = "52:54:00:20:00:01";
const LOCATION =
  "http://deb.example/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64";
const HOSTILE = `<img src=x onerror="window.pwned=1">"; reboot; ${"${"}net0/mac}`;

test(
  "a wrong token is refused in words and nothing is kept; a viewer sees no operator actions and a 403 in words",
  { timeout: 60_000 },
  async () => {
    const { enf, browser, close } = await startUi();
    try {
      await enf.api("POST", "/machines", { mac: MAC, hostname: "web-1" });
      const page = await (await newContext(browser)).newPage();
      const errors = watchErrors(page);
      await page.goto(`${enf.base}/ui/`);
      await page.getByLabel("API token").fill("enf_0000000000_wrong");
      await page.getByRole("button", { name: "Sign in" }).click();
      const alert = page.getByRole("alert");
      await alert.getByText("That token was not accepted.", { exact: false }).waitFor();
      assert.match((await alert.textContent())!, /ENF_ERR_AUTH_INVALID/);
      assert.equal(
        await page.evaluate(() => sessionStorage.length + localStorage.length),
        0,
        "the wrong token was kept",
      );
      await page.getByRole("heading", { name: "Sign in to Enforcer" }).waitFor();

      const viewer = (
        await enf.api<{ token: string }>("POST", "/tokens", { name: "night shift", role: "viewer" })
      ).body.token;
      await signIn(page, enf.base, viewer);
      const nav = page.getByRole("navigation", { name: "Main" });
      assert.equal(
        await nav.getByRole("link", { name: "Tokens" }).count(),
        0,
        "a viewer is offered the tokens screen",
      );
      await page.getByRole("link", { name: MAC }).click();
      await page.getByRole("heading", { name: "web-1", level: 1 }).waitFor();
      assert.equal(await page.getByRole("button", { name: "Reboot…" }).count(), 0);
      assert.equal(await page.getByRole("button", { name: "Arm config…" }).count(), 0);
      // Typed in by hand: the API's refusal, in words.
      await page.goto(`${enf.base}/ui/#/tokens`);
      await page.getByRole("alert").getByText("Your token is not allowed to do this.").waitFor();
      assert.match(
        (await page.getByRole("alert").textContent())!,
        /a viewer token cannot do this; it needs admin/,
      );
      await page.goto(`${enf.base}/ui/#/settings`);
      assert.equal(await page.getByRole("switch").isDisabled(), true);
      assert.deepEqual(
        errors.filter((e) => !/status of 40[13]/.test(e)),
        [],
        "only the refused requests themselves are logged",
      );
    } finally {
      await close();
    }
  },
);

test(
  "an API refusal at arm time (missing template variable) is shown in words and nothing is armed",
  { timeout: 60_000 },
  async () => {
    const { enf, browser, close } = await startUi();
    try {
      await enf.api("POST", "/machines", { mac: MAC, hostname: "web-1" });
      await enf.api("POST", "/profiles", {
        name: "needs-vars",
        family: "debian",
        location: LOCATION,
        provisioning: "d-i passwd/root-password-crypted password {{ root_hash }}\n",
      });
      const page = await (await newContext(browser)).newPage();
      await signIn(page, enf.base, enf.token);
      await page.goto(`${enf.base}/ui/#/machines/${MAC}`);
      await page.getByLabel("Profile").selectOption("needs-vars");
      await page.getByRole("button", { name: "Arm config…" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Arm config" }).click();
      const alert = page.getByRole("alert");
      await alert
        .getByText("A template needs a variable that neither the config nor the machine's facts have.")
        .waitFor();
      assert.match((await alert.textContent())!, /root_hash/);
      assert.match((await alert.textContent())!, /ENF_ERR_TEMPLATE_VARIABLE_MISSING/);
      const m = await enf.api<{ config: unknown }>("GET", `/machines/${MAC}`);
      assert.equal(m.body.config, null, "a config was armed despite the error");
      const left = await enf.api<{ items: unknown[] }>("GET", `/configs?machine=${MAC}`);
      assert.deepEqual(left.body.items, [], "the refused attempt left a draft config behind");
      // Variables typed badly are caught before anything is sent.
      await page.getByLabel("Variables").fill("root_hash");
      await page.getByRole("button", { name: "Arm config…" }).click();
      await page.getByRole("alert").getByText("line 1: write variables as NAME=value").waitFor();
      // With the variable given, it arms.
      await page.getByLabel("Variables").fill("root_hash=$6$salt$hash");
      await page.getByRole("button", { name: "Arm config…" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Arm config" }).click();
      await page.getByText("Config armed: the next network boot runs it").waitFor();
    } finally {
      await close();
    }
  },
);

test(
  "hostile facts from an agent are shown as text: no markup, no script runs",
  { timeout: 60_000 },
  async () => {
    const { enf, browser, close } = await startUi();
    try {
      const agent = (await enf.api<{ token: string }>("POST", "/tokens", { name: "a", role: "agent" })).body
        .token;
      const res = await fetch(`${enf.base}/api/v1/agent/report?mac=${MAC}`, {
        method: "POST",
        headers: { authorization: `Bearer ${agent}`, "content-type": "application/json" },
        body: JSON.stringify({
          macs: [MAC],
          inventory: { vendor: HOSTILE, nics: [{ name: HOSTILE, mac: MAC }] },
        }),
      });
      assert.equal(res.status, 200);
      const page = await (await newContext(browser)).newPage();
      const errors = watchErrors(page);
      await signIn(page, enf.base, enf.token);
      await page.goto(`${enf.base}/ui/#/machines/${MAC}`);
      await page.getByRole("heading", { name: "Facts" }).waitFor();
      assert.equal(
        await page.getByText(HOSTILE, { exact: true }).count(),
        2,
        "the hostile text is shown as it is, twice",
      );
      assert.equal(await page.locator("main img").count(), 0, "markup from a fact became an element");
      assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  },
);

test(
  "a token revoked while signed in leads back to sign-in; a stopped server is shown as unreachable",
  { timeout: 60_000 },
  async () => {
    const { enf, browser, close } = await startUi();
    try {
      const op = await enf.api<{ id: string; token: string }>("POST", "/tokens", {
        name: "temp",
        role: "operator",
      });
      const page = await (await newContext(browser)).newPage();
      await signIn(page, enf.base, op.body.token);
      await page.getByText("Live", { exact: true }).waitFor();
      await enf.api("DELETE", `/tokens/${op.body.id}`);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profiles" }).click();
      await page.getByRole("heading", { name: "Sign in to Enforcer" }).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.length), 0, "the revoked token was kept");

      // A reload shows the kept session at once and checks the token alongside: revoked meanwhile, it signs out.
      const op2 = await enf.api<{ id: string; token: string }>("POST", "/tokens", {
        name: "temp2",
        role: "operator",
      });
      await signIn(page, enf.base, op2.body.token);
      await page.reload();
      await page.getByRole("heading", { name: "Machines", level: 1 }).waitFor();
      await enf.api("DELETE", `/tokens/${op2.body.id}`);
      await page.reload();
      await page.getByRole("heading", { name: "Sign in to Enforcer" }).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.length), 0, "the revoked token was kept");

      await signIn(page, enf.base, enf.token);
      await page.getByText("Live", { exact: true }).waitFor();
      await enf.stop();
      await page.getByText("Reconnecting…").waitFor({ timeout: 20_000 });
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
      await page.getByRole("alert").getByText("Enforcer cannot be reached.", { exact: false }).waitFor();
    } finally {
      await close();
    }
  },
);
