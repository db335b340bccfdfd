/**
 * The simulator's dashboard in a real browser: Debian's Chromium driven by playwright-core (the
 * acceptance test). Chromium is required, never skipped: without it these tests fail and say how to install it.
 * A screenshot is saved under test-results/ (gitignored) as an artifact.
 */
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { Contributor } from "../../src/index.js";
import type { RunningSimulator } from "../../src/simulator/index.js";
import { cleanup, contributor, simulator, waitFor } from "../integration/client-fixtures.js";

// The project compiles without the DOM library (Node code only); these are the few browser globals the
// functions passed to page.evaluate use. They run in the page, where the real ones exist.
interface BrowserElement {
  id: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: {
  activeElement: BrowserElement | null;
  querySelector(selector: string): BrowserElement | null;
};
declare function getComputedStyle(element: unknown): {
  animationName: string;
  fontWeight: string;
  outlineStyle: string;
};

/** Where Debian's `chromium` package installs the browser; override with RCC_CHROMIUM_PATH. */
const CHROMIUM_PATH = process.env.RCC_CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../test-results/", import.meta.url));

let browser: Browser | undefined;
let context: BrowserContext | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}; the dashboard's browser tests need Debian's chromium package: ` +
        "run `apt-get update && apt-get install -y chromium` (or set RCC_CHROMIUM_PATH)",
    );
  }
  // Playwright gives every launch a fresh, empty --user-data-dir of its own. The networking flags stop
  // Chromium's background calls to Google, which this sandbox refuses.
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  // The page first, so its EventSource does not log a reconnect error when the simulator goes away.
  await context?.close();
  context = undefined;
  await cleanup();
});

/** Browser problems the page must not have: console errors, uncaught exceptions, failed requests. */
interface OpenedPage {
  page: Page;
  problems: string[];
}

async function openDashboard(
  sim: RunningSimulator,
  options: { query?: string; reducedMotion?: "reduce" | "no-preference" } = {},
): Promise<OpenedPage> {
  if (!browser) throw new Error("the browser did not start");
  context = await browser.newContext({
    viewport: { width: 1366, height: 768 }, // a common laptop screen
    reducedMotion: options.reducedMotion ?? "no-preference",
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    const reason = request.failure()?.errorText ?? "";
    // ERR_ABORTED is the page's own stream being cut by a navigation or reload, not a failure.
    if (!page.isClosed() && reason !== "net::ERR_ABORTED") problems.push(`request failed: ${request.url()} ${reason}`);
  });
  await page.goto(`${sim.dashboardUrl}${options.query ?? ""}`);
  await page.waitForSelector('body[data-snapshots="1"]', { timeout: 5000 });
  await page.waitForSelector('#link-status[data-state="live"]', { timeout: 5000 });
  return { page, problems };
}

/** Text of one quote cell, or undefined while the row is missing. */
function quoteCell(page: Page, ric: string, field: string) {
  return page.locator(`#quotes tr[data-ric="${ric}"] td[data-field="${field}"]`);
}

async function connectedContributor(sim: RunningSimulator): Promise<Contributor> {
  const client = contributor(sim, { position: "127.0.0.1/dashboard-test" });
  await client.connect();
  return client;
}

describe("the dashboard in Chromium", () => {
  test("loads without console errors and shows the simulator's endpoints and an empty state", async () => {
    const sim = await simulator();
    const { page, problems } = await openDashboard(sim);
    await expect(page.title()).resolves.toBe("RCC simulator dashboard");
    expect(await page.locator("#link-status").textContent()).toBe("Live");
    expect(await page.locator("#server-info").textContent()).toContain(sim.wsUrls[0]);
    expect(await page.locator("#contributors-empty").isVisible()).toBe(true);
    expect(await page.locator("#quotes-empty").isVisible()).toBe(true);
    expect(await page.locator("#rate-chart svg polyline").count()).toBe(1);
    // Let one tick arrive, so its handling is covered by the console check too.
    await page.waitForFunction(() => document.querySelector('[data-counter="posts-received"]') !== null);
    const pointsBefore = await page.locator("#rate-chart svg polyline").getAttribute("points");
    await page.waitForFunction(
      (before) => document.querySelector("#rate-chart svg polyline")?.getAttribute("points") !== before,
      pointsBefore,
      { timeout: 3000 },
    );
    expect(problems).toEqual([]);
  });

  test("a contribution made by the client appears within one second, and a changed value is highlighted", async () => {
    const sim = await simulator();
    const client = await connectedContributor(sim);
    const { page, problems } = await openDashboard(sim);
    const started = Date.now();
    await client.contribute("TRCCTEST01", { BID: 101.25, ASK: 101.5 });
    await quoteCell(page, "TRCCTEST01", "BID").filter({ hasText: "101.25" }).waitFor({ timeout: 1000 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await quoteCell(page, "TRCCTEST01", "ASK").textContent()).toBe("101.5");

    await client.contribute("TRCCTEST01", { BID: 101.3 });
    await quoteCell(page, "TRCCTEST01", "BID").filter({ hasText: "101.3" }).waitFor({ timeout: 1000 });
    const bidClass = await quoteCell(page, "TRCCTEST01", "BID").getAttribute("class");
    expect(bidClass).toMatch(/flash-[ab]/);
    expect(await quoteCell(page, "TRCCTEST01", "ASK").getAttribute("class")).not.toMatch(/flash/);
    const animation = await quoteCell(page, "TRCCTEST01", "BID").evaluate(
      (cell) => getComputedStyle(cell).animationName,
    );
    expect(animation).toMatch(/^flash-[ab]$/);
    expect(problems).toEqual([]);
  });

  test("with prefers-reduced-motion the changed value is marked without animation", async () => {
    const sim = await simulator();
    const client = await connectedContributor(sim);
    const { page, problems } = await openDashboard(sim, { reducedMotion: "reduce" });
    await client.contribute("TRCCTEST01", { BID: 1 });
    await quoteCell(page, "TRCCTEST01", "BID").filter({ hasText: "1" }).waitFor({ timeout: 1000 });
    await client.contribute("TRCCTEST01", { BID: 2 });
    const cell = quoteCell(page, "TRCCTEST01", "BID");
    await cell.filter({ hasText: "2" }).waitFor({ timeout: 1000 });
    const style = await cell.evaluate((node) => {
      const computed = getComputedStyle(node);
      return { animation: computed.animationName, weight: computed.fontWeight };
    });
    expect(style).toEqual({ animation: "none", weight: "700" });
    expect(problems).toEqual([]);
  });

  test("pressing System busy makes the running client reconnect, and the page shows the new connection", async () => {
    const sim = await simulator();
    const client = await connectedContributor(sim);
    let bid = 0;
    const failures: unknown[] = [];
    const posting = setInterval(() => {
      bid += 1;
      client.contribute("TRCCTEST01", { BID: bid, ASK: bid + 0.25 }).catch((error: unknown) => failures.push(error));
    }, 50);
    try {
      const { page, problems } = await openDashboard(sim);
      await page.locator('#contributors tr[data-connection="c1"][data-state="logged-in"]').waitFor({ timeout: 2000 });
      await page.getByRole("button", { name: "System busy" }).click();
      await page.locator('#contributors tr[data-connection="c2"][data-state="logged-in"]').waitFor({ timeout: 5000 });
      expect(await page.locator('#contributors tr[data-connection="c1"]').count()).toBe(0);
      expect(await page.locator('#contributors tr[data-connection="c2"] td[data-key="position"]').textContent()).toBe(
        "127.0.0.1/dashboard-test",
      );
      const activity = await page.locator("#activity").textContent();
      expect(activity).toContain("Fault injected: System busy");
      expect(activity).toContain("c1 closed");
      expect(activity).toContain("c2 logged in as");
      await waitFor(() => client.state === "ready", 5000, "the client to be ready again");
      expect(client.stats().reconnects).toBe(1);
      // The client recovered: posts made after the reconnect reach the page.
      const after = bid + 1;
      await page.waitForFunction(
        (min) =>
          Number(document.querySelector('#quotes tr[data-ric="TRCCTEST01"] td[data-field="BID"]')?.textContent) >= min,
        after,
        { timeout: 3000 },
      );
      // A tick refreshes the counters once a second: wait for one that counts the second login.
      await page.locator('[data-counter="logins"]').filter({ hasText: "2" }).waitFor({ timeout: 3000 });
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
      expect(existsSync(`${ARTIFACTS}dashboard.png`)).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      clearInterval(posting);
    }
    expect(failures).toEqual([]); // the client re-sent what was in flight: no post was lost
  });

  test("is usable by keyboard: skip link, fault buttons and the Nak form, with a visible focus", async () => {
    const sim = await simulator();
    const { page, problems } = await openDashboard(sim);
    const focused = () =>
      page.evaluate(() => document.activeElement?.textContent?.trim() ?? document.activeElement?.id);
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("Skip to fault injection");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("System busy");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await focused()).toBe("Stop pings");
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    expect(outline).not.toBe("none");
    await page.keyboard.press("Enter");
    await waitFor(() => sim.faults.list().some((fault) => fault.type === "stop-pings"), 2000, "the stop-pings fault");
    await page.locator('#active-faults li[data-fault-type="stop-pings"]').waitFor({ timeout: 2000 });

    await page.keyboard.press("Tab"); // the RIC input of "Nak a RIC"
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("nak-ric");
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("TRCCTEST02");
    await page.keyboard.press("Enter"); // submits the form
    await waitFor(() => sim.faults.list().some((fault) => fault.type === "nak"), 2000, "the nak fault");
    expect(sim.faults.list().find((fault) => fault.type === "nak")).toMatchObject({
      ric: "TRCCTEST02",
      code: "AccessDenied",
    });
    await page.locator("#fault-result").filter({ hasText: "Nak AccessDenied on TRCCTEST02: injected." }).waitFor();
    expect(await page.locator("#active-faults li").count()).toBe(2);

    await page.getByRole("button", { name: "Clear all faults" }).focus();
    await page.keyboard.press("Enter");
    await page.locator("#fault-result").filter({ hasText: "Cleared 2 faults." }).waitFor();
    expect(sim.faults.list()).toEqual([]);
    expect(await page.locator("#active-faults li").count()).toBe(0);
    expect(problems).toEqual([]);
  });

  test("with an admin token, the page opened as /?token= streams and injects faults, and drops the token from the address bar", async () => {
    const adminToken = "dashboard-browser-token";
    const sim = await simulator({ adminToken });
    const { page, problems } = await openDashboard(sim, { query: `?token=${adminToken}` });
    expect(page.url()).toBe(sim.dashboardUrl);
    await page.getByRole("button", { name: "Drop connection" }).click();
    await page.locator("#fault-result").filter({ hasText: "Drop connection: injected." }).waitFor({ timeout: 2000 });
    await page.reload(); // the token lives on in this tab's session storage
    await page.waitForSelector('#link-status[data-state="live"]', { timeout: 5000 });
    expect(problems).toEqual([]);
  });
});
