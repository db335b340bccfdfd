/**
 * Fails a test file that leaves handles open (STYLE habit 10): a socket, server, child process or ref'd
 * timer the file opened and never closed. A vitest setup file, so it runs inside every test file's worker;
 * with `pool: "forks"` and `isolate: true` (vitest.config.ts) each file runs alone in its worker, so what
 * this sees is that file's doing.
 *
 * `process.getActiveResourcesInfo()` is taken when the file starts and again after the file's own afterAll
 * hooks (hooks run as a stack, so this setup file's afterAll runs last). Counts are compared per resource
 * type; a close still completing gets a grace period. Timers are counted apart: the runner keeps timers of
 * its own that come and go (task-update batching, console forwarding), so its "Timeout" count says nothing.
 * Instead the global `setTimeout`/`setInterval` are wrapped (vitest keeps its own copies of the originals),
 * and a timer the file created that is still pending and ref'd at the end is a leak. Unref'd timers hold
 * nothing open and are not counted.
 *
 * Set RCC_LEAK_CHECK=report to print each file's resources instead of failing, or =off to skip the check.
 */
import { afterAll, beforeAll } from "vitest";

/**
 * Resource types the check counts. Counts, not presence: the worker's own four PipeWrap (stdio and IPC) and
 * whatever else the runner holds are there before and after alike. Types left out are the runner's
 * (MessagePort, TTYWrap, FSReqCallback while the reporter writes), Immediate, Timeout (see above), or
 * transient (a DNS lookup, a write in progress).
 */
const CHECKED_TYPES: ReadonlySet<string> = new Set([
  "TCPSocketWrap",
  "TCPServerWrap",
  "TLSWrap",
  "PipeServerWrap",
  "PipeWrap",
  "ProcessWrap",
  "UDPWrap",
]);

/** How long closes may take to complete after the file's last hook, milliseconds. */
const GRACE_MS = 1_000;
/** Pause between checks during the grace period, milliseconds. */
const RECHECK_MS = 10;

const mode = process.env.RCC_LEAK_CHECK ?? "fail";

/** Timers created through the global functions since this file started; pruned of finished ones. */
const timers = new Set<NodeJS.Timeout>();
const PRUNE_AT = 10_000;

/** Whether `timer` still holds the process open: pending (not fired or cleared) and ref'd. */
function holdsOpen(timer: NodeJS.Timeout): boolean {
  return !(timer as NodeJS.Timeout & { _destroyed?: boolean })._destroyed && timer.hasRef();
}

function track<T extends NodeJS.Timeout>(timer: T): T {
  if (timers.size >= PRUNE_AT) for (const old of timers) if (!holdsOpen(old)) timers.delete(old);
  timers.add(timer);
  return timer;
}

if (mode !== "off") {
  const { setTimeout: originalSetTimeout, setInterval: originalSetInterval } = globalThis;
  const timeout = (...args: Parameters<typeof originalSetTimeout>): NodeJS.Timeout =>
    track(originalSetTimeout(...args));
  const interval = (...args: Parameters<typeof originalSetInterval>): NodeJS.Timeout =>
    track(originalSetInterval(...args));
  // Object.assign keeps the originals' own properties (util.promisify's custom form of setTimeout).
  globalThis.setTimeout = Object.assign(timeout, originalSetTimeout);
  globalThis.setInterval = Object.assign(interval, originalSetInterval);
}

function countByType(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) {
    if (CHECKED_TYPES.has(type)) counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  let pending = 0;
  for (const timer of timers) if (holdsOpen(timer)) pending += 1;
  if (pending > 0) counts.set("timer", pending);
  return counts;
}

/** The types whose count grew since `baseline`, as "type: before → now". */
function grown(baseline: Map<string, number>): string[] {
  const now = countByType();
  return [...now].flatMap(([type, count]) => {
    const before = baseline.get(type) ?? 0;
    return count > before ? [`${type}: ${before} → ${count}`] : [];
  });
}

let baseline = new Map<string, number>();

beforeAll(() => {
  // What the file opens at import time (before this hook) is its own too, but the runner's handles are not.
  baseline = countByType();
  baseline.delete("timer");
});

afterAll(async () => {
  if (mode === "off") return;
  const deadline = performance.now() + GRACE_MS;
  await new Promise((resolve) => setImmediate(resolve));
  let leaks = grown(baseline);
  while (leaks.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
    leaks = grown(baseline);
  }
  if (mode === "report") {
    process.stderr.write(
      `leak-check: ${leaks.join(", ") || "clean"} | ${process.getActiveResourcesInfo().join(",")}\n`,
    );
    return;
  }
  if (leaks.length > 0) {
    throw new Error(
      `this test file left handles open ${GRACE_MS} ms after its last hook (${leaks.join("; ")}): ` +
        "close every server, client, socket, child process and timer it opens",
    );
  }
});
