/**
 * The gateway's status page (`GET /`) in a real browser: a real simulator, a real gateway with its outbox in a
 * temporary folder, and Debian's Chromium driven by playwright-core, launched as the dashboard's browser tests
 * launch it. Chromium is required, never skipped. Screenshots are taken in a temporary folder and checked; one
 * is kept under test-results/ (gitignored) as an artifact.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, type Page } from "playwright-core";
import { launchChromium, recordPageProblems } from "../helpers/chromium.js";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type GatewayAccount, type RunningGateway, generateApiKey, startGateway } from "../../src/gateway/index.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { httpCall } from "../helpers/http.js";
import { closeAllSse, openSse, type SseStream } from "../helpers/sse.js";
import { startNatsServer, stopAllNatsServers } from "../helpers/nats-server.js";
import { waitFor } from "../helpers/wait-for.js";

// The project compiles without the DOM library (Node code only); these are the few browser globals the
// functions passed to page.evaluate use. They run in the page, where the real ones exist.
declare const document: {
  documentElement: { scrollWidth: number; clientWidth: number };
  querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null;
};
declare const window: Record<string, unknown>;

const ARTIFACTS = fileURLToPath(new URL("../../test-results/", import.meta.url));

const dir = mkdtempSync(join(tmpdir(), "rcc-gateway-status-"));
const key = generateApiKey();
const simulators: RunningSimulator[] = [];
const gateways: RunningGateway[] = [];
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let files = 0;

beforeAll(async () => {
  browser = await launchChromium("the status page's browser tests");
});

afterEach(async () => {
  // The page first, so its EventSource does not log a reconnect error when the gateway goes away.
  await context?.close();
  context = undefined;
  closeAllSse();
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  await Promise.all(simulators.splice(0).map((sim) => sim.close()));
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  sim: RunningSimulator;
  gateway: RunningGateway;
}

/** A simulator and a gateway with one account, "main", that contributes every RIC. */
async function setup(): Promise<Setup> {
  const sim = await startSimulator({});
  simulators.push(sim);
  const login = sim.accounts[0]!;
  const account: GatewayAccount = {
    name: "main",
    rics: ["*"],
    contributor: {
      urls: sim.wsUrls,
      authUrl: sim.authUrl,
      user: login.user,
      password: login.password,
      clientId: login.clientId,
    },
  };
  const gateway = await startGateway({
    accounts: [account],
    outboxPath: join(dir, `outbox-${(files += 1)}.db`),
    apiKeys: [{ name: "desk", sha256: key.sha256 }],
    port: 0,
  });
  gateways.push(gateway);
  return { sim, gateway };
}

/** Posts items and waits for their outcomes. */
async function postAndWait(gateway: RunningGateway, items: unknown[]): Promise<any> {
  const answer = await httpCall(`${gateway.url}/v1/contributions?wait=ack`, {
    body: JSON.stringify(items),
    bearer: key.key,
  });
  expect(answer.status, answer.text).toBe(200);
  return answer.body;
}

/** The page open, with the problems it had: console errors and warnings, uncaught exceptions, failed requests. */
interface OpenedPage {
  page: Page;
  problems: string[];
}

async function openStatusPage(gateway: RunningGateway, viewport = { width: 1280, height: 800 }): Promise<OpenedPage> {
  if (!browser) throw new Error("the browser did not start");
  context = await browser.newContext({ viewport, locale: "en-US" });
  const page = await context.newPage();
  const problems = recordPageProblems(page);
  await page.goto(`${gateway.url}/`);
  await page.waitForSelector("body[data-snapshots]", { timeout: 5000 });
  await page.waitForSelector('#link-status[data-state="live"]', { timeout: 5000 });
  return { page, problems };
}

/** The row of account `name`. */
const accountRow = (page: Page, name: string) => page.locator(`#accounts tr[data-account="${name}"]`);
/** The row of the outcome of item `id`. */
const outcomeRow = (page: Page, id: string) => page.locator(`#outcomes tr[data-id="${id}"]`);

/** Waits for the page's account row to show session state `state`. */
async function accountInState(page: Page, state: string, timeoutMs = 10_000): Promise<void> {
  await accountRow(page, "main")
    .and(page.locator(`[data-state="${state}"]`))
    .waitFor({ timeout: timeoutMs });
}

/** Screenshots the page into `folder`, checks the file is a PNG with a size, and @returns its path and size. */
async function screenshot(page: Page, folder: string, name: string): Promise<{ path: string; width: number }> {
  const path = join(folder, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  const png = readFileSync(path);
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  const width = png.readUInt32BE(16);
  expect(width).toBeGreaterThan(0);
  expect(png.readUInt32BE(20)).toBeGreaterThan(0);
  expect(png.length).toBeGreaterThan(1000);
  return { path, width };
}

describe("the gateway's status page in Chromium", () => {
  test("shows the outbox, the start time and the account with state ready and the rate limit 1000", async () => {
    const { gateway } = await setup();
    const { page, problems } = await openStatusPage(gateway);
    await expect(page.title()).resolves.toBe("rcc gateway status");
    await accountInState(page, "ready");
    const row = accountRow(page, "main");
    expect(await row.locator('td[data-key="state"] .badge').textContent()).toBe("ready");
    expect(await row.locator('[data-key="rate-limit"]').textContent()).toBe("1,000");
    expect(await row.locator('td[data-key="rics"]').textContent()).toBe("*");
    expect(await row.locator('td[data-key="endpoint"]').textContent()).toContain("ws://127.0.0.1:");
    expect(await row.locator('td[data-key="pending"]').textContent()).toBe("0");
    expect(await page.locator("#outbox").textContent()).toBe(gateway.outboxPath);
    expect(await page.locator("#started time").getAttribute("datetime")).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.locator("#outcomes-empty").isVisible()).toBe(true);
    expect(await page.locator("#cluster").isVisible()).toBe(false); // single-node: no cluster panel
    expect(problems).toEqual([]);
  });

  test("items posted with wait=ack appear in the outcomes table live, without a reload", async () => {
    const { gateway } = await setup();
    const { page, problems } = await openStatusPage(gateway);
    await accountInState(page, "ready");
    await page.evaluate(() => (window.sameDocument = true));
    const started = Date.now();
    await postAndWait(gateway, [
      { id: "live-1", ric: "TRCCTEST01", fields: { BID: 1.25 } },
      { id: "live-2", ric: "TRCCTEST02", fields: { BID: 2.5 } },
    ]);
    await outcomeRow(page, "live-2").waitFor({ timeout: 3000 });
    expect(Date.now() - started).toBeLessThan(3000);
    const row = outcomeRow(page, "live-1");
    expect(await row.locator('td[data-key="ric"]').textContent()).toBe("TRCCTEST01");
    expect(await row.locator('td[data-key="account"]').textContent()).toBe("main");
    expect(await row.locator('td[data-key="state"] .badge').textContent()).toBe("acked");
    expect(await row.locator('td[data-key="nak"]').textContent()).toBe("");
    expect(await row.locator('td[data-key="time"] time').getAttribute("datetime")).toMatch(/^\d{4}-/);
    // Newest first, and the page is the one opened: no reload happened.
    expect(await page.locator("#outcomes tbody tr").first().getAttribute("data-id")).toBe("live-2");
    expect(await page.evaluate(() => window.sameDocument)).toBe(true);
    expect(await page.locator("#outcomes-empty").isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });

  test("a Nak shows the item naked with its code", async () => {
    const { sim, gateway } = await setup();
    sim.faults.add({ type: "nak", code: "AccessDenied", ric: "TRCCTEST03" });
    const { page, problems } = await openStatusPage(gateway);
    await accountInState(page, "ready");
    const answer = await postAndWait(gateway, [{ id: "refused-1", ric: "TRCCTEST03", fields: { BID: 3 } }]);
    expect(answer.items[0]).toMatchObject({ state: "naked", nakCode: "AccessDenied" });
    const row = outcomeRow(page, "refused-1");
    await row.waitFor({ timeout: 3000 });
    expect(await row.getAttribute("data-state")).toBe("naked");
    expect(await row.locator('td[data-key="state"] .badge').textContent()).toBe("naked");
    expect(await row.locator('td[data-key="state"] .badge').getAttribute("data-tone")).toBe("bad");
    expect(await row.locator('td[data-key="nak"]').textContent()).toBe("AccessDenied");
    expect(problems).toEqual([]);
  });

  test("a RIC written as HTML is shown as text and runs nothing", async () => {
    const { gateway } = await setup();
    const { page, problems } = await openStatusPage(gateway);
    await accountInState(page, "ready");
    const hostile = '<img src=x onerror="window.rccInjected=1"><b>bold</b>';
    const answer = await postAndWait(gateway, [{ id: "hostile.1", ric: hostile, fields: { BID: 1 } }]);
    expect(answer.items[0].ric).toBe(hostile);
    const cell = outcomeRow(page, "hostile.1").locator('td[data-key="ric"]');
    await cell.waitFor({ timeout: 3000 });
    expect(await cell.textContent()).toBe(hostile);
    expect(await cell.getAttribute("title")).toBe(hostile);
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator("#outcomes b").count()).toBe(0);
    expect(await page.evaluate(() => window.rccInjected)).toBeUndefined();
    expect(problems).toEqual([]);
  });

  test("when the simulator's listener stops, the session badge leaves ready within a few seconds", async () => {
    const { sim, gateway } = await setup();
    const { page } = await openStatusPage(gateway);
    await accountInState(page, "ready");
    const stopped = Date.now();
    await sim.stopListener(0);
    const badge = accountRow(page, "main").locator('td[data-key="state"] .badge');
    await page.waitForFunction(
      () => {
        const state = document.querySelector('#accounts tr[data-account="main"] .badge')?.textContent;
        return state !== undefined && state !== "ready";
      },
      null,
      { timeout: 7000 },
    );
    expect(Date.now() - stopped).toBeLessThan(7000);
    expect(await badge.textContent()).not.toBe("ready");
    expect(await badge.getAttribute("data-tone")).not.toBe("ok");
    // The page's own stream is unaffected: it is still live.
    expect(await page.locator("#link-status").textContent()).toBe("Live");
  });

  test("/status.json answers the same snapshot the page shows", async () => {
    const { gateway } = await setup();
    const { page, problems } = await openStatusPage(gateway);
    await accountInState(page, "ready");
    await postAndWait(gateway, [
      { id: "json-1", ric: "TRCCTEST01", fields: { BID: 1 } },
      { id: "json-2", ric: "TRCCTEST02", fields: { BID: 2 } },
    ]);
    await outcomeRow(page, "json-2").waitFor({ timeout: 3000 });
    const answer = await httpCall(`${gateway.url}/status.json`);
    expect(answer.status).toBe(200);
    expect(answer.headers["content-type"]).toMatch(/^application\/json/);
    expect(answer.headers["cache-control"]).toBe("no-store");
    const status = answer.body;
    expect(status.outbox).toBe(await page.locator("#outbox").textContent());
    expect(status.startedAt).toBe(await page.locator("#started time").getAttribute("datetime"));
    expect(status.accounts).toMatchObject([{ name: "main", state: "ready", rateLimit: 1000, rics: ["*"] }]);
    const shownIds = await page
      .locator("#outcomes tbody tr")
      .evaluateAll((rows) => rows.map((row) => (row as unknown as { dataset: { id: string } }).dataset.id));
    expect(status.recent.map((outcome: { id: string }) => outcome.id)).toEqual(shownIds);
    expect(status.recent[0]).toMatchObject({ id: "json-2", ric: "TRCCTEST02", account: "main", state: "acked" });
    expect(JSON.stringify(status)).not.toContain(key.key);
    expect(problems).toEqual([]);
  });

  test("the page and its files carry a strict Content-Security-Policy, no-store and their content types, without a key", async () => {
    const { gateway } = await setup();
    for (const [path, type] of [
      ["/", "text/html"],
      ["/status/app.js", "text/javascript"],
      ["/status/style.css", "text/css"],
    ] as const) {
      const answer = await httpCall(`${gateway.url}${path}`);
      expect(answer.status, path).toBe(200);
      expect(answer.headers["content-type"], path).toBe(`${type}; charset=utf-8`);
      expect(answer.headers["cache-control"], path).toBe("no-store");
      const policy = String(answer.headers["content-security-policy"]);
      expect(policy, path).toContain("default-src 'self'");
      expect(policy, path).not.toContain("unsafe-inline");
      expect(answer.headers["x-content-type-options"], path).toBe("nosniff");
    }
    const page = await httpCall(`${gateway.url}/`);
    expect(page.text).toContain('<script type="module" src="status/app.js"></script>');
    expect(page.text).not.toMatch(/<script>|<style>|\sstyle=|\son[a-z]+=/);
    const script = await httpCall(`${gateway.url}/status/app.js`);
    expect(script.text).not.toContain("innerHTML");
  });

  test("at 800 px wide the page does not scroll sideways, and a screenshot shows both tables", async () => {
    const { sim, gateway } = await setup();
    sim.faults.add({ type: "nak", code: "AccessDenied", ric: "TRCCTEST03" });
    const width = 800;
    const { page, problems } = await openStatusPage(gateway, { width, height: 900 });
    await accountInState(page, "ready");
    const longId = `a-long-producer-id.${"x".repeat(100)}`;
    await postAndWait(gateway, [
      { id: "wide-1", ric: "TRCCTEST01", fields: { BID: 1 } },
      { id: "wide-2", ric: "TRCCTEST03", fields: { BID: 2 } },
      { id: longId, ric: `TRCC.${"LONG".repeat(40)}`, fields: { BID: 3 } },
    ]);
    await outcomeRow(page, longId).waitFor({ timeout: 3000 });
    const overflow = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));
    expect(overflow.scrollWidth).toBeLessThanOrEqual(overflow.clientWidth);
    for (const selector of ["#accounts", "#outcomes", "#link-status", "#outbox"]) {
      const box = await page.locator(selector).boundingBox();
      expect(box, selector).not.toBeNull();
      expect(box!.x, selector).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, selector).toBeLessThanOrEqual(width);
    }
    // With one account, its table fits its frame: every column is in view without scrolling the frame.
    for (const table of ["#accounts", "#outcomes"]) {
      const fits = await page.locator(table).evaluate((node) => {
        const frame = (node as unknown as { parentElement: { scrollWidth: number; clientWidth: number } })
          .parentElement;
        return frame.scrollWidth <= frame.clientWidth;
      });
      expect(fits, table).toBe(true);
    }
    expect(await accountRow(page, "main").locator('td[data-key="endpoint"]').textContent()).toBe(
      (await httpCall(`${gateway.url}/status.json`)).body.accounts[0].endpoint,
    );
    // A long id is cut short in its cell, and its title holds it whole.
    const idCell = outcomeRow(page, longId).locator('td[data-key="id"]');
    expect(await idCell.getAttribute("title")).toBe(longId);
    expect((await idCell.boundingBox())!.width).toBeLessThan(width / 2);

    const shots = mkdtempSync(join(dir, "screenshots-"));
    const shot = await screenshot(page, shots, "status-800px");
    expect(shot.width).toBe(width);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "gateway-status-page.png"), fullPage: true });
    expect(problems).toEqual([]);
  });

  test("when the gateway stops, the page says the connection is lost and that it is retrying", async () => {
    const { gateway } = await setup();
    const { page } = await openStatusPage(gateway);
    await accountInState(page, "ready");
    await gateways.splice(0)[0]!.close();
    await page.locator('#link-status[data-state="lost"]').waitFor({ timeout: 5000 });
    expect((await page.locator("#link-status").textContent())?.toLowerCase()).toContain("connection lost, retrying");
  });
});

describe("the status page's event stream", () => {
  test("sends a snapshot at once, refuses a 33rd stream with 503 too-many-streams, and closing the gateway ends the open ones", async () => {
    const { gateway } = await setup();
    const streams: SseStream[] = [];
    for (let index = 0; index < 32; index++) streams.push(await openSse(`${gateway.url}/status/events`));
    const first = streams[0]!;
    expect(first.status).toBe(200);
    expect(first.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(first.headers["cache-control"]).toBe("no-store");
    const snapshot = await first.next("status", () => true, 1000);
    expect(snapshot.data).toMatchObject({ outbox: gateway.outboxPath, accounts: [{ name: "main" }], recent: [] });
    expect(first.retryMs).toBe(2000);

    const refused = await openSse(`${gateway.url}/status/events`);
    await refused.ended;
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: "too-many-streams" } });

    // A new outcome reaches the open streams within the second.
    await waitFor(() => gateway.ready(), 5000, "the gateway to be ready");
    await postAndWait(gateway, [{ id: "stream-1", ric: "TRCCTEST01", fields: { BID: 1 } }]);
    const update = await first.next("status", (data: { recent: { id: string }[] }) =>
      data.recent.some((outcome) => outcome.id === "stream-1"),
    );
    expect(update.data.recent[0]).toMatchObject({ id: "stream-1", state: "acked" });

    // Closing ends every stream instead of hanging on them.
    await gateways.splice(0)[0]!.close();
    await Promise.all(streams.map((stream) => stream.ended));
  });

  test("in cluster mode shows the cluster: this gateway, NATS, the lease of each account and who holds it", async () => {
    const nats = await startNatsServer();
    const sim = await startSimulator({});
    simulators.push(sim);
    const login = sim.accounts[0]!;
    const start = (gatewayId: string) =>
      startGateway({
        accounts: [
          {
            name: "main",
            rics: ["*"],
            contributor: {
              urls: sim.wsUrls,
              authUrl: sim.authUrl,
              user: login.user,
              password: login.password,
              clientId: login.clientId,
            },
          },
        ],
        apiKeys: [{ name: "desk", sha256: key.sha256 }],
        port: 0,
        nats: { servers: [nats.url], gatewayId, leaseTtlMs: 2_000 },
      }).then((gateway) => {
        gateways.push(gateway);
        return gateway;
      });
    const leader = await start("gw-leader");
    await waitFor(() => leader.ready() && leader.cluster!().accounts[0]!.leader, 10_000, "gw-leader leads");
    const follower = await start("gw-follower");
    await postAndWait(follower, [{ ric: "TRCCTEST01", fields: { BID: 1 } }]);
    const { page, problems } = await openStatusPage(follower);
    await page.locator("#cluster").waitFor({ state: "visible", timeout: 5_000 });
    expect(await page.locator("#cluster-gateway").textContent()).toBe("gw-follower");
    expect(await page.locator("#cluster-nats").textContent()).toBe(`connected · ${nats.url}`);
    const lease = page.locator('#leases tr[data-account="main"]');
    // The holder as read from the lease bucket (refreshed every second).
    await lease.locator('td[data-key="holder"]', { hasText: "gw-leader" }).waitFor({ timeout: 5_000 });
    expect(await lease.getAttribute("data-leader")).toBe("false");
    await page.locator("#cluster-summary", { hasText: "(2 gateways; this one leads 0)" }).waitFor({ timeout: 5_000 });
    // The item the leader sent is in this gateway's outcomes too.
    await page.locator("#outcomes tbody tr").first().waitFor({ timeout: 5_000 });
    expect(await page.locator("#outcomes tbody tr").count()).toBe(1);
    expect(problems).toEqual([]);
    // On the leader's page, the lease is this gateway's.
    const onLeader = await openStatusPage(leader);
    await onLeader.page.locator('#leases tr[data-leader="true"]').waitFor({ timeout: 5_000 });
    expect(await onLeader.page.locator('#leases td[data-key="holder"]').textContent()).toBe("this gateway");
    await stopAllNatsServers();
  }, 60_000);
});
