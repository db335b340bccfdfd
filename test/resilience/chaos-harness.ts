/**
 * Chaos soak harness: one contributor against the simulator (two listeners, short ping intervals and
 * token lifetimes so faults matter within seconds) while faults drawn from a seeded PRNG hit it — dropped
 * connections, "System busy", silent links, stopped pings, dropped/delayed Acks, Naks, token endpoint errors
 * (4xx, 5xx, 429), slow and shrinking tokens, refused logins, full restarts on the same ports and failover.
 * Contributions carry a per-RIC sequence number; the checks are in chaos/evaluate.ts. Used by
 * test/resilience/contributor-chaos.test.ts (short) and `npm run soak` (long).
 */
import { Contributor } from "../../src/client/contributor.js";
import type { ContributorOptions } from "../../src/client/options.js";
import type { ContributorStats } from "../../src/client/contributor-stats.js";
import type { SimulatorOptions } from "../../src/simulator/index.js";
import { waitFor } from "../helpers/wait-for.js";
import { ClientLedger, type LedgerCounts } from "./chaos/client-ledger.js";
import { checkFinalValues, type FinalValueCheck, violationsOf } from "./chaos/evaluate.js";
import { type FaultContext, type PlanSettings, planNextFault } from "./chaos/fault-catalogue.js";
import { heapUsedAfterGcMb } from "./chaos/memory.js";
import { Prng } from "./chaos/prng.js";
import { type KindRecovery, RecoveryMeter } from "./chaos/recovery-meter.js";
import { ServerObserver, type ServerFindings } from "./chaos/server-observer.js";
import { CHAOS_ACCOUNT, CLIENT_DEAD_AFTER_MS, contributorOptions, simulatorOptions } from "./chaos/run-settings.js";
import { SimulatorHost, sleep } from "./chaos/simulator-host.js";
import type { PercentileSummary } from "./chaos/summary-stats.js";

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** Seed of the fault schedule, its parameters, the RIC choice and the client's backoff jitter. */
  seed: number;
  /** Contributions to make at least (the final round of one post per RIC comes on top). @default 100_000 */
  contributions?: number;
  /** Keep going at least this long, milliseconds. @default 0 */
  minDurationMs?: number;
  /** Keep going until at least this many faults were injected. @default 0 */
  minFaults?: number;
  /** Stop issuing after this long even if `contributions` is not reached, milliseconds. @default Infinity */
  maxDurationMs?: number;
  /** Number of RICs, named TRCCTEST000 … @default 100 */
  rics?: number;
  /** Fault durations and gaps are multiplied by this. @default 1 */
  timeScale?: number;
  /** Pause before each fault, milliseconds (before scaling). @default [300, 1500] */
  gapRangeMs?: readonly [number, number];
  /** `contribute()` calls kept outstanding. @default 1000 */
  outstanding?: number;
  /** TRCE:MaxMessagesPerSecond of the simulator. @default 4000 */
  maxMessagesPerSecond?: number;
  /** Allowed heap growth between the warm-up and the end, MiB. @default 16 */
  heapGrowthLimitMb?: number;
  /**
   * Count re-send reordering (once a known failure, now posting-resend-superseded.test.ts) as violations: an older
   * value accepted after a newer one was acknowledged, and wrong final values right after the fault phase.
   * @default true
   */
  reorderByResendIsViolation?: boolean;
  /** Extra simulator options (override the harness's). */
  simulator?: SimulatorOptions;
  /** Extra contributor options (override the harness's). */
  client?: Partial<ContributorOptions>;
  /** Called every few seconds with a progress line. */
  onProgress?: (line: string) => void;
}

/** Everything a run measured; `violations` is empty when every check passed. */
export interface ChaosReport {
  seed: number;
  durationMs: number;
  contributions: Omit<LedgerCounts, "examples">;
  faults: { injected: number; skipped: number; outagesOutsideFaults: number; byKind: Record<string, KindRecovery> };
  recoveryMs: PercentileSummary;
  notReadyMs: number;
  server: Omit<ServerFindings, "examples">;
  /** Final values once every call of the fault phase settled (re-send reordering shows here). */
  valuesAfterFaults: FinalValueCheck;
  /** Final values after a quiet last round of one contribution per RIC. */
  finalValues: FinalValueCheck;
  restarts: number;
  memory: { heapStartMb: number; heapEndMb: number; heapAfterCloseMb: number };
  client: Pick<
    ContributorStats,
    "sent" | "acked" | "resent" | "reconnects" | "tokenRefreshes" | "latencyMs" | "errors"
  >;
  examples: Record<string, string[]>;
  violations: string[];
}

const RECOVERY_TIMEOUT_MS = 30_000;

/** Runs one chaos soak and reports; never throws for a failed check (see `violations`). */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const root = new Prng(options.seed);
  const faultPrng = root.fork();
  const loadPrng = root.fork();
  const jitterPrng = root.fork();
  const ricCount = options.rics ?? 100;
  const rics = Array.from({ length: ricCount }, (_, i) => `TRCCTEST${String(i).padStart(3, "0")}`);
  const maxMessagesPerSecond = options.maxMessagesPerSecond ?? 4000;
  const ledger = new ClientLedger(rics);
  const simOptions = { ...simulatorOptions(maxMessagesPerSecond), ...options.simulator };
  const account = CHAOS_ACCOUNT;
  const observer = new ServerObserver(
    { user: account.user, ricIndex: (ric) => ledger.ricIndex(ric), ackedMax: (i) => ledger.ackedMax[i] ?? -1 },
    ricCount,
  );
  const host = await SimulatorHost.start(simOptions, observer);
  const contributor = new Contributor(
    Object.assign(
      contributorOptions(account, host.sim.wsUrls, host.sim.authUrl, () => jitterPrng.next()),
      options.client,
    ),
  );
  const meter = new RecoveryMeter(contributor);
  // Changed from callbacks: an object, so control-flow analysis does not take them for constants.
  const run: { closing: boolean; stopFaults: boolean; fatal: Error | undefined } = {
    closing: false,
    stopFaults: false,
    fatal: undefined,
  };
  const faultsStopped = (): boolean => run.stopFaults;
  void contributor.closed().then((error) => {
    if (!run.closing) run.fatal = error ?? new Error("closed without an error");
  });

  await contributor.connect();
  for (let round = 0; round < 2; round++) for (let i = 0; i < ricCount; i++) ledger.contribute(contributor, i);
  await ledger.allSettled(RECOVERY_TIMEOUT_MS);
  const heapStartMb = await heapUsedAfterGcMb();

  const settings: PlanSettings = {
    timeScale: options.timeScale ?? 1,
    rics,
    clientDeadAfterMs: CLIENT_DEAD_AFTER_MS,
  };
  const context: FaultContext = {
    host,
    loggedInConnection: () => observer.loggedInConnection,
    currentListener: () => {
      const id = observer.loggedInConnection;
      return id === undefined ? undefined : host.sim.state.connections.get(id)?.listener;
    },
  };
  let injected = 0;
  let skipped = 0;
  let restarts = 0;
  let recoveryTimeouts = 0;
  const faultLoop = (async () => {
    while (!run.stopFaults && run.fatal === undefined) {
      const step = planNextFault(faultPrng, settings, options.gapRangeMs ?? [300, 1500]);
      await sleep(step.gapMs);
      if (faultsStopped()) break;
      if (step.definition.needsLogin && !(await becameTrue(() => observer.loggedInConnection !== undefined, 5000))) {
        skipped += 1;
        continue;
      }
      meter.begin(step.definition.kind);
      injected += 1;
      if (step.definition.kind === "restart") restarts += 1;
      await step.definition.run(context, step.detail);
      const recovery = await meter.end(RECOVERY_TIMEOUT_MS);
      if (recovery === Number.POSITIVE_INFINITY) recoveryTimeouts += 1;
    }
  })();

  const target = options.contributions ?? 100_000;
  const minDurationMs = options.minDurationMs ?? 0;
  const minFaults = options.minFaults ?? 0;
  const maxDurationMs = options.maxDurationMs ?? Number.POSITIVE_INFINITY;
  const outstanding = options.outstanding ?? 1000;
  let nextProgress = Date.now() + 10_000;
  for (;;) {
    const elapsed = Date.now() - started;
    const enough = ledger.counts.calls >= target && elapsed >= minDurationMs && injected >= minFaults;
    if (enough || elapsed >= maxDurationMs) break;
    if (run.fatal !== undefined) break;
    await ledger.whenPendingBelow(outstanding);
    ledger.contribute(contributor, loadPrng.int(0, ricCount - 1));
    if (options.onProgress && Date.now() >= nextProgress) {
      nextProgress = Date.now() + 10_000;
      options.onProgress(
        `${Math.round(elapsed / 1000)} s: ${ledger.counts.calls} calls, ${ledger.counts.acked} acked, ${injected} faults, epoch ${host.epoch}, ${contributor.state}`,
      );
    }
  }
  run.stopFaults = true;
  await faultLoop;

  // Quiet end: no faults, every listener up; check the values once everything settled, then once more after
  // one last contribution per RIC.
  host.sim.faults.clear();
  await host.startAllListeners();
  if (!(await meter.whenReady(RECOVERY_TIMEOUT_MS))) recoveryTimeouts += 1;
  await ledger.allSettled(RECOVERY_TIMEOUT_MS).catch(() => undefined);
  const valuesAfterFaults = checkFinalValues(ledger, observer, host.sim, host.epoch);
  for (let i = 0; i < ricCount; i++) ledger.contribute(contributor, i);
  await ledger.allSettled(RECOVERY_TIMEOUT_MS).catch(() => undefined);
  observer.collectLiveRate(host.sim);
  const finalValues = checkFinalValues(ledger, observer, host.sim, host.epoch);
  const heapEndMb = await heapUsedAfterGcMb();
  const stats = contributor.stats();
  run.closing = true;
  await contributor.close();
  await host.close();
  const heapAfterCloseMb = await heapUsedAfterGcMb();

  const violations = violationsOf({
    ledger,
    observer,
    valuesAfterFaults,
    finalValues,
    maxMessagesPerSecond,
    recoveryTimeouts,
    fatal: run.fatal,
    heapStartMb,
    heapEndMb,
    heapGrowthLimitMb: options.heapGrowthLimitMb ?? 16,
    reorderByResendIsViolation: options.reorderByResendIsViolation ?? true,
  });
  const { examples: clientExamples, ...contributions } = ledger.counts;
  const { examples: serverExamples, ...server } = observer.findings;
  return {
    seed: options.seed,
    durationMs: Date.now() - started,
    contributions,
    faults: { injected, skipped, outagesOutsideFaults: meter.outagesOutsideFaults, byKind: meter.byKind() },
    recoveryMs: meter.overall(),
    notReadyMs: meter.notReadyMs,
    server,
    valuesAfterFaults,
    finalValues,
    restarts,
    memory: { heapStartMb, heapEndMb, heapAfterCloseMb },
    client: {
      sent: stats.sent,
      acked: stats.acked,
      resent: stats.resent,
      reconnects: stats.reconnects,
      tokenRefreshes: stats.tokenRefreshes,
      latencyMs: stats.latencyMs,
      errors: stats.errors,
    },
    examples: { ...serverExamples, ...(clientExamples.length > 0 ? { client: clientExamples } : {}) },
    violations,
  };
}

/** Whether `predicate` came true within `timeoutMs`: a fault that finds no login is skipped, not a failure. */
function becameTrue(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  return waitFor(predicate, timeoutMs, "a logged-in connection", 20).then(
    () => true,
    () => false,
  );
}
