/**
 * Debian's Chromium for the browser tests (the simulator's dashboard, the gateway's status page), launched by
 * playwright-core. Required, never skipped: without it the tests fail and say how to install it.
 */
import { existsSync } from "node:fs";
import { type Browser, type Page, chromium } from "playwright-core";

/** Where Debian's `chromium` package installs the browser; override with RCC_CHROMIUM_PATH. */
const CHROMIUM_PATH = process.env.RCC_CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Launches headless Chromium with a fresh, empty profile (playwright's own --user-data-dir per launch).
 * @param what the tests that need it, for the message when it is missing: "the dashboard's browser tests".
 * @throws Error saying how to install Chromium when it is missing.
 */
export async function launchChromium(what: string): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}; ${what} need Debian's chromium package: ` +
        "run `apt-get update && apt-get install -y chromium` (or set RCC_CHROMIUM_PATH)",
    );
  }
  // The networking flags stop Chromium's background calls to Google, which this sandbox refuses.
  return chromium.launch({
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
}

/**
 * Records a page's problems as lines — console errors and warnings, uncaught errors, failed requests (but not
 * its own streams cut by a navigation, `net::ERR_ABORTED`) — for a test to expect none.
 */
export function recordPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    const reason = request.failure()?.errorText ?? "";
    if (!page.isClosed() && reason !== "net::ERR_ABORTED") problems.push(`request failed: ${request.url()} ${reason}`);
  });
  return problems;
}
