/**
 * The simulator's dashboard in a real browser: Debian's Chromium driven by playwright-core (the
 * acceptance test). Chromium is required, never skipped: without it these tests fail and say how to install it.
 * A screenshot is saved under test-results/ (gitignored) as an artifact; the tests of the quote table's filter
 * and order, the refused logins and the narrow layout take theirs in a temporary folder and check them.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { launchChromium, recordPageProblems } from "../helpers/chromium.js";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { Contributor } from "../../src/index.js";
import type { RunningSimulator } from "../../src/simulator/index.js";
import { nameLogin, onStream } from "../helpers/ads.js";
import { passwordGrant } from "../helpers/auth.js";
import { closeAllRawClients, connectRaw, loginRequest } from "../helpers/raw-client.js";
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
  documentElement: { scrollWidth: number; clientWidth: number };
  querySelector(selector: string): BrowserElement | null;
};
declare const window: Record<string, unknown>;
declare function getComputedStyle(element: unknown): {
  animationName: string;
  fontWeight: string;
  outlineStyle: string;
};

const ARTIFACTS = fileURLToPath(new URL("../../test-results/", import.meta.url));

let browser: Browser | undefined;
let context: BrowserContext | undefined;
/** This run's screenshots that are checked, not kept: removed after the tests. */
let screenshots: string | undefined;

beforeAll(async () => {
  browser = await launchChromium("the dashboard's browser tests");
});

afterAll(async () => {
  await browser?.close();
  if (screenshots !== undefined) rmSync(screenshots, { recursive: true, force: true });
});

afterEach(async () => {
  // The page first, so its EventSource does not log a reconnect error when the simulator goes away.
  await context?.close();
  context = undefined;
  await closeAllRawClients();
  await cleanup();
});

/** Browser problems the page must not have: console errors, uncaught exceptions, failed requests. */
interface OpenedPage {
  page: Page;
  problems: string[];
}

async function openDashboard(
  sim: RunningSimulator,
  options: {
    query?: string;
    reducedMotion?: "reduce" | "no-preference";
    viewport?: { width: number; height: number };
  } = {},
): Promise<OpenedPage> {
  if (!browser) throw new Error("the browser did not start");
  context = await browser.newContext({
    viewport: options.viewport ?? { width: 1366, height: 768 }, // a common laptop screen
    reducedMotion: options.reducedMotion ?? "no-preference",
  });
  const page = await context.newPage();
  const problems = recordPageProblems(page);
  await page.goto(`${sim.dashboardUrl}${options.query ?? ""}`);
  await page.waitForSelector('body[data-snapshots="1"]', { timeout: 5000 });
  await page.waitForSelector('#link-status[data-state="live"]', { timeout: 5000 });
  return { page, problems };
}

/** Text of one quote cell, or undefined while the row is missing. */
function quoteCell(page: Page, ric: string, field: string) {
  return page.locator(`#quotes tr[data-ric="${ric}"] td[data-field="${field}"]`);
}

async function connectedContributor(
  sim: RunningSimulator,
  position = "127.0.0.1/dashboard-test",
): Promise<Contributor> {
  const client = contributor(sim, { position });
  await client.connect();
  return client;
}

/** RICs of the quote table's rows in page order; `shown` leaves out the rows the filter hides. */
function quoteRics(page: Page, which: "all" | "shown" = "all"): Promise<string[]> {
  const rows = page.locator(which === "all" ? "#quotes tbody tr" : "#quotes tbody tr:not([hidden])");
  return rows.evaluateAll((nodes) =>
    nodes.map((node) => (node as unknown as BrowserElement).getAttribute("data-ric") ?? ""),
  );
}

/** Width and height of a PNG file, from its IHDR chunk. */
function pngSize(path: string): { width: number; height: number } {
  const png = readFileSync(path);
  expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/**
 * Screenshots `target` (an element, or the whole page) into this run's temporary folder, after checking that
 * it is visible and shows each of `texts`; @returns the image's size.
 */
async function screenshotShowing(
  target: Locator | Page,
  name: string,
  texts: readonly string[],
): Promise<{ width: number; height: number }> {
  screenshots ??= mkdtempSync(join(tmpdir(), "rcc-dashboard-"));
  const path = join(screenshots, `${name}.png`);
  const isPage = "goto" in target;
  const element = isPage ? target.locator("body") : target;
  expect(await element.isVisible()).toBe(true);
  const shown = (await element.innerText()).replace(/\s+/g, " ");
  for (const text of texts) expect(shown).toContain(text);
  await target.screenshot({ path, ...(isPage ? { fullPage: true } : {}) });
  const size = pngSize(path);
  expect(size.width).toBeGreaterThan(0);
  expect(size.height).toBeGreaterThan(0);
  return size;
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
    // The list follows the admin API and the event stream, two connections: a tick sent before the change can
    // still arrive after it, so the list is waited for (a bounded wait), not read once.
    const listed = (count: number) => async () => (await page.locator("#active-faults li").count()) === count;
    await waitFor(listed(2), 2000, "two active faults listed");

    await page.getByRole("button", { name: "Clear all faults" }).focus();
    await page.keyboard.press("Enter");
    await page.locator("#fault-result").filter({ hasText: "Cleared 2 faults." }).waitFor();
    expect(sim.faults.list()).toEqual([]);
    await waitFor(listed(0), 2000, "no active fault listed");
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

  test("the RIC filter narrows the last values to the RICs containing it, in any case, by keyboard", async () => {
    const sim = await simulator();
    const client = await connectedContributor(sim);
    const { page, problems } = await openDashboard(sim);
    for (const ric of ["TRCCTEST01", "TRCCTEST02", "TRCCTEST10", "TRCCTEST11", "TRCCTEST20"]) {
      await client.contribute(ric, { BID: 1 });
    }
    await page.locator("#quotes tbody tr").nth(4).waitFor({ timeout: 2000 });

    const filter = page.getByLabel("Filter RICs");
    await filter.focus();
    await page.keyboard.type("test1");
    await page.locator("#quotes-filter-status").filter({ hasText: "2 of 5 shown match" }).waitFor({ timeout: 1000 });
    expect(await quoteRics(page, "shown")).toEqual(["TRCCTEST10", "TRCCTEST11"]);
    expect(await page.locator('#quotes tr[data-ric="TRCCTEST01"]').isHidden()).toBe(true);
    expect(await page.locator('#quotes tr[data-ric="TRCCTEST10"]').isVisible()).toBe(true);

    // RICs arriving while the filter is set obey it too.
    await client.contribute("TRCCTEST12", { BID: 2 });
    await client.contribute("TRCCTEST03", { BID: 3 });
    await page.locator('#quotes tr[data-ric="TRCCTEST03"]').waitFor({ state: "attached", timeout: 1000 });
    await page.locator('#quotes tr[data-ric="TRCCTEST12"]').waitFor({ state: "visible", timeout: 1000 });
    expect(await quoteRics(page, "shown")).toEqual(["TRCCTEST10", "TRCCTEST11", "TRCCTEST12"]);
    expect(await page.locator("#quotes-filter-status").textContent()).toBe("3 of 7 shown match");
    const size = await screenshotShowing(page.locator(".quotes"), "quotes-filtered", [
      "Filter RICs",
      "TRCCTEST10",
      "TRCCTEST12",
      "3 of 7 shown match",
    ]);
    expect(size.width).toBeGreaterThan(300);

    await page.keyboard.type("9");
    await page.locator("#quotes-no-match").filter({ hasText: 'No RIC shown contains "test19".' }).waitFor();
    expect(await quoteRics(page, "shown")).toEqual([]);

    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.press("Backspace");
    await page.waitForFunction(() => document.querySelector("#quotes-filter-status")?.textContent === "", null, {
      timeout: 1000,
    });
    expect(await quoteRics(page, "shown")).toHaveLength(7);
    expect(await page.locator("#quotes-no-match").isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });

  test("sorting by last update puts the most recently updated RIC first, and each update moves its row up", async () => {
    const sim = await simulator();
    const client = await connectedContributor(sim);
    const { page, problems } = await openDashboard(sim);
    // Each RIC reaches the page before the next is posted, so their last updates are a flush interval apart.
    for (const ric of ["TRCCTEST01", "TRCCTEST02", "TRCCTEST03"]) {
      await client.contribute(ric, { BID: 1 });
      await page.locator(`#quotes tr[data-ric="${ric}"]`).waitFor({ timeout: 1000 });
    }
    expect(await quoteRics(page)).toEqual(["TRCCTEST01", "TRCCTEST02", "TRCCTEST03"]);

    const sort = page.getByLabel("Sort by");
    await sort.focus();
    await sort.selectOption({ label: "Last update (newest first)" });
    expect(await quoteRics(page)).toEqual(["TRCCTEST03", "TRCCTEST02", "TRCCTEST01"]);
    expect(await page.getByRole("columnheader", { name: "Last update" }).getAttribute("aria-sort")).toBe("descending");

    await client.contribute("TRCCTEST01", { BID: 2 });
    await quoteCell(page, "TRCCTEST01", "BID").filter({ hasText: "2" }).waitFor({ timeout: 1000 });
    expect(await quoteRics(page)).toEqual(["TRCCTEST01", "TRCCTEST03", "TRCCTEST02"]);
    await client.contribute("TRCCTEST04", { BID: 4 });
    await page.locator('#quotes tr[data-ric="TRCCTEST04"]').waitFor({ timeout: 1000 });
    expect(await quoteRics(page)).toEqual(["TRCCTEST04", "TRCCTEST01", "TRCCTEST03", "TRCCTEST02"]);
    await screenshotShowing(page.locator(".quotes"), "quotes-newest-first", [
      "Last update (newest first)",
      "TRCCTEST04",
    ]);

    // The filter and the order work together; back to RIC order, the rows are A to Z again.
    await page.getByLabel("Filter RICs").fill("0");
    expect(await quoteRics(page, "shown")).toEqual(["TRCCTEST04", "TRCCTEST01", "TRCCTEST03", "TRCCTEST02"]);
    await page.getByLabel("Filter RICs").fill("01");
    expect(await quoteRics(page, "shown")).toEqual(["TRCCTEST01"]);
    await page.getByLabel("Filter RICs").fill("");
    await sort.selectOption("ric");
    expect(await quoteRics(page)).toEqual(["TRCCTEST01", "TRCCTEST02", "TRCCTEST03", "TRCCTEST04"]);
    expect(await page.getByRole("columnheader", { name: "RIC" }).getAttribute("aria-sort")).toBe("ascending");
    expect(problems).toEqual([]);
  });

  test("a refused login appears in the activity panel with its code and the server's reason, user names as text", async () => {
    const sim = await simulator({ profile: "ads" });
    const { page, problems } = await openDashboard(sim);
    const refusals = page.locator('#activity li[data-kind="login-refused"]');

    // An access token the simulator never issued.
    const badToken = await connectRaw(sim.wsUrls[0]!);
    badToken.send(loginRequest("not-a-token-the-simulator-issued"));
    expect(await badToken.next(onStream(1))).toMatchObject({ State: { Stream: "Closed", Code: "NotEntitled" } });
    await refusals.first().waitFor({ timeout: 2000 });
    expect(await refusals.first().textContent()).toContain(
      "c1 login refused: NotEntitled — Login denied: access token not recognised",
    );

    // A DACS user name the simulator does not know, written to break out of the page if it were HTML.
    const hostile = '<img src=x onerror="window.rccInjected=1">eve';
    const unknownUser = await connectRaw(sim.wsUrls[0]!);
    unknownUser.send(nameLogin(hostile));
    expect(await unknownUser.next(onStream(1))).toMatchObject({ State: { Code: "UserUnknownToPermSys" } });
    await refusals.nth(1).waitFor({ timeout: 2000 });
    expect(await refusals.first().textContent()).toContain(
      `c2 login refused for ${hostile}: UserUnknownToPermSys — ${hostile}, unknown to system.`,
    );
    expect(await page.locator("#activity img").count()).toBe(0);
    expect(await page.evaluate(() => window.rccInjected)).toBeUndefined();

    // An injected refusal with its own code and text, for a valid token.
    sim.faults.add({ type: "reject-logins", code: "NotEntitled", text: "Login denied: not entitled to contribute" });
    const tokens = await passwordGrant(sim.authUrl, sim.accounts[0]!);
    const refusedByFault = await connectRaw(sim.wsUrls[0]!);
    refusedByFault.send(loginRequest(tokens.accessToken));
    expect(await refusedByFault.next(onStream(1))).toMatchObject({ State: { Code: "NotEntitled" } });
    await refusals.nth(2).waitFor({ timeout: 2000 });
    const latest = refusals.first();
    expect(await latest.textContent()).toContain(
      "c3 login refused: NotEntitled — Login denied: not entitled to contribute",
    );
    expect(await latest.locator(".refusal-code").textContent()).toBe("NotEntitled");
    expect(await page.locator("#activity").textContent()).toContain("Fault injected: Refuse logins with NotEntitled");
    expect(await latest.locator("span[title]").getAttribute("title")).toBe("reason: fault");
    // The page never shows a token, refused or not.
    expect(await page.locator("body").textContent()).not.toContain(tokens.accessToken);
    expect(await page.locator("body").textContent()).not.toContain("not-a-token-the-simulator-issued");
    await page.locator('[data-counter="refused-logins"]').filter({ hasText: "3" }).waitFor({ timeout: 3000 });
    await screenshotShowing(page.locator(".activity"), "activity-refused-logins", [
      "login refused: NotEntitled",
      "access token not recognised",
      `${hostile}, unknown to system.`,
    ]);
    expect(problems).toEqual([]);
  });

  test("at 800 px wide the page does not scroll sideways, and the tables and controls stay visible", async () => {
    const sim = await simulator({ profile: "ads" }); // its refusals quote the user name: a long line below
    const client = await connectedContributor(
      sim,
      `127.0.0.1/${"a-rather-long-host-name.example.internal.".repeat(3)}`,
    );
    const fields: Record<string, string | number> = {
      DSPLY_NAME: "TEST RIC ONE",
      ROW80_1: "A ROW OF NEWS TEXT THAT IS FAR TOO LONG FOR ONE TABLE COLUMN AT EIGHT HUNDRED PX",
    };
    for (const name of ["BID", "ASK", "BIDSIZE", "ASKSIZE", "TRDPRC_1", "NETCHNG_1", "HIGH_1", "LOW_1", "OPEN_PRC"]) {
      fields[name] = 123_456.789;
    }
    await client.contribute("TRCCTEST01", fields);

    const width = 800;
    const { page, problems } = await openDashboard(sim, { viewport: { width, height: 900 } });
    await quoteCell(page, "TRCCTEST01", "BID").waitFor({ timeout: 2000 });
    await page.locator('#contributors tr[data-state="logged-in"]').waitFor({ timeout: 2000 });
    // A live line of the activity panel, long and without spaces.
    const unbroken = await connectRaw(sim.wsUrls[0]!);
    unbroken.send(nameLogin(`user-${"y".repeat(150)}`));
    await page.locator('#activity li[data-kind="login-refused"]').waitFor({ timeout: 2000 });

    const overflow = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));
    expect(overflow.scrollWidth).toBeLessThanOrEqual(overflow.clientWidth);
    // The tables themselves may be wider: they scroll sideways inside their frames (keyboard-focusable regions).
    expect(await page.locator("#contributors").isVisible()).toBe(true);
    expect(await page.locator("#quotes").isVisible()).toBe(true);
    for (const selector of [
      ".contributors .table-wrap",
      ".quotes .table-wrap",
      "#quotes-filter",
      "#quotes-sort",
      "#activity",
      "#nak-form",
      'button[data-fault="system-busy"]',
      "#clear-faults",
    ]) {
      const element = page.locator(selector);
      await element.scrollIntoViewIfNeeded();
      expect(await element.isVisible(), selector).toBe(true);
      const box = await element.boundingBox();
      expect(box, selector).not.toBeNull();
      // Inside the page's width: reachable without scrolling the page sideways.
      expect(box!.x, selector).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, selector).toBeLessThanOrEqual(width);
    }
    // A long value is cut short in its cell, and its title holds it whole.
    const name = quoteCell(page, "TRCCTEST01", "ROW80_1");
    expect(await name.getAttribute("title")).toBe(fields.ROW80_1);
    const cellWidth = (await name.boundingBox())?.width ?? Infinity;
    expect(cellWidth).toBeLessThan(width / 2);

    const size = await screenshotShowing(page, "dashboard-800px", [
      "Connected contributors",
      "Last values",
      "TRCCTEST01",
      "Filter RICs",
      "Fault injection",
      "login refused",
    ]);
    // A full-page screenshot is as wide as the page's content: no wider than the window.
    expect(size.width).toBe(width);
    expect(problems).toEqual([]);
  });
});
