import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startEnforcer, type EnforcerProcess } from "./enforcer-process.js";

/** Debian's Chromium: the tests never download a browser. */
export const CHROMIUM = "/usr/bin/chromium";
/** A laptop's window. */
export const DESKTOP = { width: 1280, height: 800 };
/** A phone held upright (an iPhone 12-14's CSS pixels). */
export const PHONE = { width: 390, height: 844 };
/** Where the UI tests leave their screenshots (kept by CI as artifacts; copies are in docs/screenshots). */
export const SCREENSHOTS = resolve("test-artifacts/screenshots");

/** Starts headless Chromium; without the background-networking flags it keeps dialling Google's hosts. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`the UI tests need Debian's chromium at ${CHROMIUM}: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A real `enforcer serve` and a headless Chromium for one UI test; `close` ends both. */
export async function startUi(
  args: string[] = [],
  opts: Parameters<typeof startEnforcer>[1] = {},
): Promise<{ enf: EnforcerProcess; browser: Browser; close: () => Promise<void> }> {
  const enf = await startEnforcer(args, opts);
  const browser = await launchChromium().catch(async (err: unknown) => {
    await enf.stop();
    throw err;
  });
  return {
    enf,
    browser,
    close: async () => {
      await browser.close();
      await enf.stop();
    },
  };
}

/** A fresh browser context (its own storage) at a size and colour scheme. */
export function newContext(
  browser: Browser,
  size: { width: number; height: number } = DESKTOP,
  colorScheme: "light" | "dark" = "light",
): Promise<BrowserContext> {
  // en-US: the tests read numbers as this locale writes them ("10,000 machines").
  return browser.newContext({
    locale: "en-US",
    viewport: size,
    colorScheme,
    isMobile: size.width < 500,
    hasTouch: size.width < 500,
  });
}

/** Collects script errors and console errors (a CSP refusal is one) for a page, to assert none happened. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Opens the app and signs in with a token through the form, as a person would. */
export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/ui/`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Machines", level: 1 }).waitFor();
}

const axeSource = readFileSync(
  join(createRequire(import.meta.url).resolve("axe-core"), "..", "axe.min.js"),
  "utf8",
);

/**
 * Runs axe-core (WCAG 2.1 A and AA, and best practices: labels, roles, contrast, landmarks) on what the page
 * shows now and fails with every violation listed. Evaluated through the driver, not a <script>, so the
 * app's content security policy stays on.
 */
export async function assertAccessible(page: Page, screen: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await (
      window as unknown as {
        axe: {
          run: (
            ctx: Document,
            opts: object,
          ) => Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    });
    return r.violations.map(
      (v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
    );
  });
  assert.deepEqual(violations, [], `accessibility violations on ${screen}`);
}

/** Saves a screenshot as a test artifact. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/** Describes the focused element: its role-ish tag and its accessible text. */
export function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return "body";
    const label =
      el.getAttribute("aria-label") ??
      (el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null) ??
      el.textContent ??
      "";
    return `${el.tagName.toLowerCase()}:${label.trim()}`;
  });
}
