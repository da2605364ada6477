// The web app with 10,000 machines in Debian's Chromium: what the first load transfers, how long until the
// first machine rows show on a LAN and on a slow link, and what scrolling the whole list costs. The
// baseline is the data alone: the same first page of machines fetched by the browser on the same link.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CDPSession, Page } from "playwright-core";
import { launchChromium, newContext, signIn } from "../test/support/browser.js";
import { startEnforcer } from "../test/support/enforcer-process.js";
import type { Row } from "./boot-bench.js";
import { benchMac, seed } from "./seed.js";
import { adopt } from "./children.js";

const MACHINES = 10_000;
/** A slow link to a Raspberry Pi in a far rack: 1.5 Mbit/s down, 150 ms round trip. */
const SLOW = {
  offline: false,
  latency: 150,
  downloadThroughput: 1_500_000 / 8,
  uploadThroughput: 750_000 / 8,
};
const LAN = { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 };

/** Bytes on the wire (headers and compressed bodies) for every response the page receives. */
function countBytes(cdp: CDPSession): () => number {
  let total = 0;
  cdp.on("Network.loadingFinished", (e) => (total += e.encodedDataLength));
  return () => total;
}

/** An operator reopening the app: signed in before, so the kept session shows the list at once. */
async function firstRows(page: Page, base: string): Promise<number> {
  await page.goto(`${base}/ui/`);
  const started = Date.now();
  await page.reload();
  await page.getByRole("link", { name: benchMac(0) }).waitFor({ timeout: 60_000 });
  return Date.now() - started;
}

async function dataOnly(page: Page, base: string, token: string): Promise<number> {
  return page.evaluate(
    async ([b, t]) => {
      const started = performance.now();
      const r = await fetch(`${b}/api/v1/machines?offset=0&limit=200`, {
        headers: { authorization: `Bearer ${t}` },
      });
      await r.json();
      return performance.now() - started;
    },
    [base, token] as const,
  );
}

/** Runs the UI benchmark: rows for the README table. */
export async function uiBench(): Promise<{ rows: Row[]; notes: Record<string, number> }> {
  const data = mkdtempSync(join(tmpdir(), "ui-bench-"));
  await seed(join(data, "store"), MACHINES, 100);
  const enf = await startEnforcer([], { data });
  adopt(enf.child);
  const browser = await launchChromium();
  try {
    const page = await (await newContext(browser)).newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    const bytes = countBytes(cdp);
    await signIn(page, enf.base, enf.token);
    const median = async (fn: () => Promise<number>) => {
      const runs = [await fn(), await fn(), await fn()].sort((a, b) => a - b);
      return runs[1]!;
    };
    const rows: Row[] = [];
    for (const [name, link] of [
      ["LAN", LAN],
      ["1.5 Mbit/s, 150 ms RTT", SLOW],
    ] as const) {
      await cdp.send("Network.emulateNetworkConditions", link);
      const ui = await median(() => firstRows(page, enf.base));
      const raw = await median(() => dataOnly(page, enf.base, enf.token));
      rows.push({
        workload: `first machine rows, cold cache, ${name}`,
        enforcer: ui,
        baseline: raw,
        unit: "ms",
      });
    }
    await cdp.send("Network.emulateNetworkConditions", LAN);
    // What one cold load transfers: the app's files, then the API calls it makes to show the first rows.
    await page.goto("about:blank");
    const before = bytes();
    await firstRows(page, enf.base);
    const transferred = bytes() - before;

    // Scrolling: 40 jumps through the list, then the time until the last machine is drawn, and the longest
    // main-thread task the browser reported meanwhile.
    await page.evaluate(() => {
      const w = window as unknown as { longest: number };
      w.longest = 0;
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) w.longest = Math.max(w.longest, e.duration);
      }).observe({ type: "longtask", buffered: false });
    });
    const scroller = page.getByRole("region", { name: "Machine list" });
    const started = Date.now();
    for (let i = 1; i <= 40; i++) {
      await scroller.evaluate((el, f) => (el.scrollTop = el.scrollHeight * f), i / 40);
      await page.waitForTimeout(25);
    }
    await page.getByRole("link", { name: benchMac(MACHINES - 1) }).waitFor();
    const scrollMs = Date.now() - started - 40 * 25;
    const longest = await page.evaluate(() => (window as unknown as { longest: number }).longest);
    const drawn = await page.locator("tr.row").count();
    rows.push({
      workload: "scroll 40 steps to the last of 10,000 (beyond the waits)",
      enforcer: scrollMs,
      unit: "ms",
    });
    rows.push({
      workload: "longest main-thread task while scrolling (0 = none over 50 ms)",
      enforcer: longest,
      unit: "ms",
    });

    // A rack being armed: 200 configs created and armed through the API, 50 at a time (400 events), while
    // the list shows the first of those machines; until every badge in view says so, and the longest task.
    // The baseline is the API calls alone: when the last of them was answered.
    await scroller.evaluate((el) => (el.scrollTop = 100 * 44));
    await page.getByRole("link", { name: benchMac(100) }).waitFor();
    await page.evaluate(() => ((window as unknown as { longest: number }).longest = 0));
    const stormStart = Date.now();
    for (let i = 100; i < 300; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, k) => {
          const c = await enf.api<{ id: string }>("POST", "/configs", {
            machine: benchMac(i + k),
            profile: "bench",
          });
          await enf.api("POST", `/configs/${c.body.id}/arm`);
        }),
      );
    }
    const apiMs = Date.now() - stormStart;
    await page.waitForFunction(
      (macs) =>
        macs.every((m) => document.querySelector(`tr[data-id="${m}"] .badge`)?.textContent === "Armed"),
      Array.from({ length: 10 }, (_, k) => benchMac(100 + k)),
    );
    rows.push({
      workload: "arm 200 machines via the API (400 events): every badge in view updated",
      enforcer: Date.now() - stormStart,
      baseline: apiMs,
      unit: "ms",
    });
    rows.push({
      workload: "longest main-thread task during those 400 events (0 = none over 50 ms)",
      enforcer: await page.evaluate(() => (window as unknown as { longest: number }).longest),
      unit: "ms",
    });
    return { rows, notes: { transferredBytes: transferred, rowsInDom: drawn, machines: MACHINES } };
  } finally {
    await browser.close();
    await enf.stop();
  }
}
