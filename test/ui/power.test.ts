// The machine screen's power panel in Debian's Chromium against a real server, with the Wake-on-LAN driver
// aimed at a UDP port this test listens on: set up in the admin's form, a real magic packet when Power on is
// confirmed (none when cancelled), only the buttons the driver can do, the roles, removal after a question.
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { test } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  assertAccessible,
  DESKTOP,
  newContext,
  PHONE,
  signIn,
  startUi,
  watchErrors,
} from "../support/browser.js";
import { until } from "../support/until.js";

const MAC = "52:54:00:16:00:01";

/** The Wake-on-LAN magic packet for MAC: six 0xff bytes, then the MAC sixteen times. */
function magicPacket(mac: string): Buffer {
  const bytes = Buffer.from(mac.replaceAll(":", ""), "hex");
  return Buffer.concat([Buffer.alloc(6, 0xff), ...Array.from({ length: 16 }, () => bytes)]);
}

/** A UDP socket on loopback that keeps every datagram it receives. */
async function listener(): Promise<{ port: number; got: Buffer[]; close: () => void }> {
  const sock = createSocket("udp4");
  const got: Buffer[] = [];
  sock.on("message", (m) => got.push(m));
  await new Promise<void>((res) => sock.bind(0, "127.0.0.1", res));
  return { port: sock.address().port, got, close: () => sock.close() };
}

/** A page signed in with `token`, on the machine's screen with its power panel drawn. */
async function machinePage(
  browser: Browser,
  base: string,
  token: string,
  size = DESKTOP,
  scheme: "light" | "dark" = "light",
): Promise<Page> {
  const page = await (await newContext(browser, size, scheme)).newPage();
  await signIn(page, base, token);
  await page.goto(`${base}/ui/#/machines/${MAC}`);
  await page.getByRole("heading", { name: "Power", level: 2 }).waitFor();
  return page;
}

const FIELDS = ["Address", "User", "Password", "Cipher suite", "Boot mode", "TLS fingerprint", "System id"];
const ACTION_BUTTONS = ["Power on…", "Power off…", "Power cycle…", "Network boot once…", "Refresh status"];

/** The power action buttons the page offers, by name. */
async function offered(page: Page): Promise<string[]> {
  const out: string[] = [];
  for (const name of ACTION_BUTTONS)
    if ((await page.getByRole("button", { name, exact: true }).count()) > 0) out.push(name);
  return out;
}

test(
  "power panel with Wake-on-LAN: set up by an admin, a confirmed Power on sends the magic packet, cancel sends none; viewers and operators see what their role allows",
  { timeout: 120_000 },
  async () => {
    const udp = await listener();
    const { enf, browser, close } = await startUi();
    try {
      await enf.api("POST", "/machines", { mac: MAC, hostname: "pi-7" });
      const tokenFor = async (role: string) =>
        (await enf.api<{ token: string }>("POST", "/tokens", { name: `a ${role}`, role })).body.token;
      const [viewer, operator] = [await tokenFor("viewer"), await tokenFor("operator")];

      const page = await machinePage(browser, enf.base, enf.token);
      const errors = watchErrors(page);
      const panel = page.getByRole("region", { name: "Power" });
      await panel.getByText("No power control", { exact: false }).waitFor();
      await panel.getByRole("heading", { name: "Set up power control" }).waitFor();
      await assertAccessible(page, "machine screen without power control");

      // The form shows only what the driver reads: Redfish its certificate and system, IPMI its cipher suite,
      // Wake-on-LAN no user nor password.
      const shown = async () => {
        const out: string[] = [];
        for (const name of FIELDS)
          if (await panel.getByLabel(name, { exact: true }).isVisible()) out.push(name);
        return out;
      };
      await panel.getByLabel("Driver").selectOption("redfish");
      assert.deepEqual(await shown(), [
        "Address",
        "User",
        "Password",
        "Boot mode",
        "TLS fingerprint",
        "System id",
      ]);
      await panel.getByLabel("Driver").selectOption("ipmi");
      assert.deepEqual(await shown(), ["Address", "User", "Password", "Cipher suite", "Boot mode"]);
      await panel.getByLabel("Driver").selectOption("wol");
      assert.deepEqual(await shown(), ["Address"]);
      await panel.getByLabel("Address").fill(`127.0.0.1:${udp.port}`);
      await panel.getByRole("button", { name: "Save power control" }).click();
      await panel.getByText("Power control saved.").waitFor();
      await panel.locator("dd", { hasText: "Wake-on-LAN" }).waitFor();
      const stored = await enf.api<{ driver: string; address: string }>("GET", `/machines/${MAC}/power`);
      assert.deepEqual([stored.body.driver, stored.body.address], ["wol", `127.0.0.1:${udp.port}`]);
      assert.deepEqual(await offered(page), ["Power on…"], "wol offers only power on");

      // Cancel: no packet leaves.
      await panel.getByRole("button", { name: "Power on…" }).click();
      const dialog = page.getByRole("dialog", { name: `Wake pi-7 (${MAC})?` });
      await dialog
        .getByText(`A Wake-on-LAN magic packet goes to 127.0.0.1:${udp.port}.`, { exact: false })
        .waitFor();
      await assertAccessible(page, "the power on question");
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(udp.got.length, 0, "a cancelled Power on sent a packet");

      // Confirmed: the magic packet for this MAC arrives, and the answer shows the driver's words.
      await panel.getByRole("button", { name: "Power on…" }).click();
      await dialog.getByRole("button", { name: "Send magic packet" }).click();
      await until("the magic packet", async () => (udp.got.length > 0 ? true : undefined));
      for (const p of udp.got) assert.deepEqual(p, magicPacket(MAC), "not the magic packet for this MAC");
      await panel
        .getByRole("status")
        .getByText(/^Power on sent: .*magic packet/)
        .waitFor();
      await page
        .getByRole("region", { name: "Timeline" })
        .getByText(/Power on done/)
        .waitFor();
      await assertAccessible(page, "machine screen with Wake-on-LAN");

      // A viewer (on a phone, dark) sees the settings, no button and no form; an operator the buttons, no form.
      const seen = await machinePage(browser, enf.base, viewer, PHONE, "dark");
      await seen.getByRole("region", { name: "Power" }).locator("dd", { hasText: "Wake-on-LAN" }).waitFor();
      await assertAccessible(seen, "the power panel on a phone, dark, for a viewer");
      const wide = await seen.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= PHONE.width, `the machine screen is ${wide}px wide on a phone`);
      assert.deepEqual(await offered(seen), [], "a viewer is offered power actions");
      assert.equal(
        await seen.getByText("Change or remove power control").count(),
        0,
        "a viewer gets the form",
      );
      const op = await machinePage(browser, enf.base, operator);
      await op.getByRole("button", { name: "Power on…" }).waitFor();
      assert.deepEqual(await offered(op), ["Power on…"]);
      assert.equal(
        await op.getByText("Change or remove power control").count(),
        0,
        "an operator gets the form",
      );

      // Removed after a question: the panel says so, and so does the API.
      await panel.getByText("Change or remove power control").click();
      await panel.getByRole("button", { name: "Remove power control…" }).click();
      await page
        .getByRole("dialog", { name: `Remove power control of pi-7 (${MAC})?` })
        .getByRole("button", { name: "Remove power control" })
        .click();
      await panel.getByRole("heading", { name: "Set up power control" }).waitFor();
      assert.equal((await enf.api("GET", `/machines/${MAC}/power`)).status, 404);
      // No request failed: "No power control" comes from the machine's answer, not from a 404.
      assert.deepEqual(errors, []);
    } finally {
      await close();
      udp.close();
    }
  },
);
