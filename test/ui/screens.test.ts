// Every main screen in Debian's Chromium, at desktop size (light) and phone size (dark): axe-core finds no
// accessibility violation (labels, roles, contrast, landmarks), the focus order is the reading order, and a
// screenshot of each is saved as a test artifact.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import {
  assertAccessible,
  DESKTOP,
  focused,
  newContext,
  PHONE,
  screenshot,
  signIn,
  startUi,
  watchErrors,
} from "../support/browser.js";
import type { EnforcerProcess } from "../support/enforcer-process.js";

const LOCATION =
  "http://deb.example/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64";
const mac = (i: number) => `52:54:00:10:00:${i.toString(16).padStart(2, "0")}`;

/** A small rack: machines with hostnames and labels, facts from the agent protocol, configs in each state. */
async function rack(enf: EnforcerProcess): Promise<void> {
  const agent = (await enf.api<{ token: string }>("POST", "/tokens", { name: "rack agent", role: "agent" }))
    .body.token;
  for (let i = 1; i <= 12; i++) {
    await enf.api("POST", "/machines", {
      mac: mac(i),
      hostname: `node-${i}.rack1.example`,
      labels: { rack: "r1", role: i % 3 === 0 ? "db" : "web" },
    });
    const res = await fetch(`${enf.base}/api/v1/agent/report?mac=${mac(i)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${agent}`, "content-type": "application/json" },
      body: JSON.stringify({
        macs: [mac(i)],
        inventory: {
          vendor: "Supermicro",
          product: "SYS-1029P-WTR",
          serial: `S${1000 + i}`,
          cpu: { model: "Intel(R) Xeon(R) Silver 4214 CPU @ 2.20GHz", count: 48 },
          memoryBytes: 196 * 2 ** 30,
          disks: [{ name: "nvme0n1", sizeBytes: 960 * 10 ** 9, model: "SAMSUNG MZQL2960HCJR" }],
          nics: [{ name: "eno1", mac: mac(i), driver: "ixgbe", link: true }],
        },
      }),
    });
    assert.equal(res.status, 200, await res.text());
  }
  await enf.api("POST", "/profiles", {
    name: "deb12",
    family: "debian",
    location: LOCATION,
    provisioning: "d-i netcfg/get_hostname string {{ hostname }}\nd-i passwd/root-login boolean false\n",
  });
  for (const i of [1, 2, 3]) {
    const c = await enf.api<{ id: string }>("POST", "/configs", { machine: mac(i), profile: "deb12" });
    await enf.api("POST", `/configs/${c.body.id}/arm`);
  }
  await fetch(`${enf.base}/boot/machine?mac=${mac(2)}&platform=efi`);
  await fetch(`${enf.base}/boot/machine?mac=${mac(3)}&platform=pcbios`);
  const m3 = await enf.api<{ config: { urls: { complete: string } } }>("GET", `/machines/${mac(3)}`);
  await fetch(m3.body.config.urls.complete);
  await enf.api("POST", "/commands", { machine: mac(4), type: "reboot" });
}

/** Nothing wider than the window: no sideways scrolling, on a phone least of all. */
async function fitsWidth(page: Page, screen: string): Promise<void> {
  // Against the size asked for: a phone browser widens its layout to fit a page that is too wide.
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= page.viewportSize()!.width, `${screen} is ${width}px wide, wider than the window`);
}

/** Visits each screen: checks it and saves its screenshot under `prefix`. */
async function tour(page: Page, enf: EnforcerProcess, prefix: string): Promise<void> {
  const visit = async (hash: string, heading: string, name: string) => {
    await page.goto(`${enf.base}/ui/#${hash}`);
    await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
    await assertAccessible(page, `${prefix} ${name}`);
    await fitsWidth(page, `${prefix} ${name}`);
    await screenshot(page, `${prefix}-${name}`);
  };
  await page.goto(`${enf.base}/ui/#/machines`);
  await page.locator("tr.row").nth(11).waitFor();
  await visit("/machines", "Machines", "machines");
  await visit(`/machines/${mac(2)}`, "node-2.rack1.example", "machine");
  await visit("/profiles", "Profiles", "profiles");
  await visit("/profiles/deb12", "Profile deb12", "profile");
  await page.getByLabel("Machine", { exact: true }).fill(mac(1));
  await page.getByRole("button", { name: "Preview" }).click();
  await page.getByRole("heading", { name: "File preseed.cfg", level: 3 }).waitFor();
  await assertAccessible(page, `${prefix} profile preview`);
  await screenshot(page, `${prefix}-profile-preview`);
  await visit("/settings", "Settings", "settings");
  await visit("/tokens", "Tokens", "tokens");
  // The confirmation dialog, open over a machine.
  await visit(`/machines/${mac(5)}`, "node-5.rack1.example", "machine-provision");
  await page.getByText("Host name, labels, forget").click();
  await assertAccessible(page, `${prefix} machine edit`);
  await page.getByRole("button", { name: "Reboot…" }).click();
  await page.getByRole("dialog", { name: "Reboot this machine?" }).waitFor();
  await assertAccessible(page, `${prefix} confirmation dialog`);
  const box = (await page.getByRole("dialog").boundingBox())!;
  const width = page.viewportSize()!.width;
  assert.ok(
    box.x >= 0 && box.x + box.width <= width,
    `the dialog (${box.x}+${box.width}) is wider than ${width}px`,
  );
  await screenshot(page, `${prefix}-confirm`);
  await page.keyboard.press("Escape");
  assert.equal(await page.getByRole("dialog").count(), 0, "Escape closes the dialog");
}

const LOOKS = [
  { prefix: "desktop", size: DESKTOP, scheme: "light", title: "at desktop size in the light theme" },
  { prefix: "phone", size: PHONE, scheme: "dark", title: "at phone size in the dark theme" },
] as const;

for (const look of LOOKS) {
  test(
    `every screen passes axe (WCAG 2.1 AA) ${look.title}; screenshots saved`,
    { timeout: 120_000 },
    async () => {
      const { enf, browser, close } = await startUi();
      try {
        await rack(enf);
        const page = await (await newContext(browser, look.size, look.scheme)).newPage();
        const errors = watchErrors(page);
        await page.goto(`${enf.base}/ui/`);
        await page.getByRole("heading", { name: "Sign in to Enforcer" }).waitFor();
        assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), look.scheme);
        await assertAccessible(page, `${look.prefix} sign-in`);
        await fitsWidth(page, `${look.prefix} sign-in`);
        await screenshot(page, `${look.prefix}-signin`);
        await signIn(page, enf.base, enf.token);
        await tour(page, enf, look.prefix);
        assert.deepEqual(errors, []);
      } finally {
        await close();
      }
    },
  );
}

test(
  "focus order follows the page: sign-in form, then the machine list; each screen starts at its heading",
  { timeout: 60_000 },
  async () => {
    const { enf, browser, close } = await startUi();
    try {
      await rack(enf);
      const page = await (await newContext(browser)).newPage();
      await page.goto(`${enf.base}/ui/`);
      await page.getByRole("heading", { name: "Sign in to Enforcer" }).waitFor();
      assert.equal(await focused(page), "h1:Sign in to Enforcer");
      const trail: string[] = [];
      for (let i = 0; i < 7; i++) {
        await page.keyboard.press("Tab");
        trail.push(await focused(page));
      }
      assert.deepEqual(trail, [
        "input:API token",
        "input:Keep me signed in on this browser",
        "button:Sign in",
        // After the form, focus leaves the page for the browser's own controls, then starts at the top.
        "body",
        "button:Skip to content",
        "a:Enforcer",
        "button:Dark theme",
      ]);
      // Sign in by keyboard alone.
      await page.getByLabel("API token").focus();
      await page.keyboard.type(enf.token);
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Machines", level: 1 }).waitFor();
      await page.locator("tr.row").first().waitFor();
      assert.equal(await focused(page), "h1:Machines");
      const next: string[] = [];
      for (let i = 0; i < 5; i++) {
        await page.keyboard.press("Tab");
        next.push(await focused(page));
      }
      assert.deepEqual(next, [
        "input:Search",
        "select:State",
        "input:Label",
        "div:Machine list",
        `a:${mac(1)}`,
      ]);
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "node-1.rack1.example", level: 1 }).waitFor();
      assert.equal(await focused(page), "h1:node-1.rack1.example");
    } finally {
      await close();
    }
  },
);

test(
  "the accessibility check itself fails on an unlabelled field and low-contrast text",
  { timeout: 60_000 },
  async () => {
    const { enf, browser, close } = await startUi();
    try {
      const page = await (await newContext(browser)).newPage();
      await page.goto(`${enf.base}/ui/`);
      await page.getByRole("heading", { name: "Sign in to Enforcer" }).waitFor();
      await page.evaluate(() => {
        const main = document.querySelector("main")!;
        main.append(document.createElement("input"));
        const faint = document.createElement("p");
        faint.textContent = "hard to read";
        faint.style.color = "#d0d0d0";
        main.append(faint);
      });
      await assert.rejects(assertAccessible(page, "a broken page"), (err: Error) => {
        assert.match(err.message, /label/);
        assert.match(err.message, /color-contrast/);
        return true;
      });
    } finally {
      await close();
    }
  },
);
