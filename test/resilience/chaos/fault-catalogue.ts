/**
 * The faults a chaos run injects. Each fault has a pure `plan` that draws its parameters from the
 * run's seeded PRNG — so the whole schedule is a function of the seed and replays — and a `run` that injects
 * it, waits out its duration and clears what it set. Simulator faults go through its fault registry
 * (docs/simulator.md); restarts and failover through the {@link SimulatorHost}.
 */
import type { FaultSpec } from "../../../src/simulator/index.js";
import { waitFor } from "../../helpers/wait-for.js";
import type { Prng } from "./prng.js";
import { type SimulatorHost, sleep } from "./simulator-host.js";

/** Parameters of one planned fault (also what the report shows). */
type FaultDetail = Record<string, string | number | boolean>;

/** What planning may depend on: the seed's PRNG and fixed settings only. */
export interface PlanSettings {
  /** Durations are multiplied by this (a short run compresses the schedule). */
  timeScale: number;
  rics: readonly string[];
  /** The client's dead-link detection time (ping interval × missed pings), milliseconds. */
  clientDeadAfterMs: number;
}

/** What a running fault may look at and act on. */
export interface FaultContext {
  host: SimulatorHost;
  /** The simulator's id of the contributor's logged-in connection on the current epoch, if any. */
  loggedInConnection(): string | undefined;
  /** The listener the contributor is logged in on, if any. */
  currentListener(): number | undefined;
}

/** One entry of the catalogue. */
interface FaultDefinition {
  kind: string;
  /** Relative frequency. */
  weight: number;
  /** The fault targets the contributor's logged-in connection: wait for one before running it. */
  needsLogin?: boolean;
  plan(prng: Prng, settings: PlanSettings): FaultDetail;
  /** Injects, waits, clears; resolves with anything learnt while running (merged into the detail). */
  run(context: FaultContext, detail: FaultDetail): Promise<FaultDetail | undefined>;
}

function scaled(prng: Prng, settings: PlanSettings, min: number, max: number): number {
  return Math.max(50, Math.round(prng.int(min, max) * settings.timeScale));
}

function num(detail: FaultDetail, key: string): number {
  return Number(detail[key]);
}

function add(context: FaultContext, spec: FaultSpec): undefined {
  context.host.sim.faults.add(spec);
  return undefined;
}

/** Adds a timed fault (the registry drops it when it expires) and waits that long. */
async function timed(context: FaultContext, spec: FaultSpec, durationMs: number): Promise<undefined> {
  add(context, { ...spec, durationMs });
  await sleep(durationMs);
  return undefined;
}

const NAK_CODES = ["NoResources", "AccessDenied", "GatewayDown", "SourceDown", "SymbolUnknown"];
const RETRIABLE_LOGIN_REFUSALS = ["NoResources", "DacsDown", "MaxLoginsReached"];

/** Token endpoint outage: every request fails with `status`; half the time the connection drops as well. */
function tokenOutage(kind: string, weight: number, statuses: number[]): FaultDefinition {
  return {
    kind,
    weight,
    plan: (prng, settings) => ({
      status: prng.pick(statuses),
      durationMs: scaled(prng, settings, 1000, 4000),
      withDisconnect: prng.chance(0.5),
    }),
    run: async (context, detail) => {
      add(context, { type: "token-errors", status: num(detail, "status"), durationMs: num(detail, "durationMs") });
      if (detail.withDisconnect === true) add(context, { type: "disconnect" });
      await sleep(num(detail, "durationMs"));
      return undefined;
    },
  };
}

/** The catalogue; docs/reliability.md says what each fault exercises and what the client does about it. */
const FAULT_CATALOGUE: readonly FaultDefinition[] = [
  {
    kind: "disconnect",
    weight: 1,
    plan: () => ({}),
    run: (context) => Promise.resolve(add(context, { type: "disconnect" })),
  },
  {
    kind: "system-busy",
    weight: 1,
    plan: () => ({}),
    run: (context) => Promise.resolve(add(context, { type: "system-busy" })),
  },
  {
    // The server goes silent on the contributor's connection (no Pings, no Acks) but keeps the socket open:
    // only the client's own dead-link detection (§2.7) gets it out.
    kind: "silent-link",
    weight: 1,
    needsLogin: true,
    plan: (_prng, settings) => ({ durationMs: settings.clientDeadAfterMs + 1000 }),
    run: (context, detail) => {
      const connection = context.loggedInConnection();
      if (connection === undefined) return Promise.resolve({ skipped: true });
      const durationMs = num(detail, "durationMs");
      add(context, { type: "stop-pings", connection, durationMs });
      return timed(context, { type: "drop-acks", connection }, durationMs);
    },
  },
  {
    kind: "stop-pings",
    weight: 0.5,
    plan: (prng, settings) => ({ durationMs: scaled(prng, settings, 1000, 3000) }),
    run: (context, detail) => timed(context, { type: "stop-pings" }, num(detail, "durationMs")),
  },
  {
    kind: "drop-acks",
    weight: 1,
    plan: (prng, settings) => ({ durationMs: scaled(prng, settings, 300, 2000) }),
    run: (context, detail) => timed(context, { type: "drop-acks" }, num(detail, "durationMs")),
  },
  {
    // Mostly within the client's Ack timeout; one in ten beyond it (late Acks for timed-out posts).
    kind: "delay-acks",
    weight: 1,
    plan: (prng, settings) => ({
      ms: prng.chance(0.1) ? 4000 : prng.int(50, 1500),
      durationMs: scaled(prng, settings, 1000, 3000),
    }),
    run: (context, detail) => timed(context, { type: "delay-acks", ms: num(detail, "ms") }, num(detail, "durationMs")),
  },
  {
    kind: "nak",
    weight: 1,
    plan: (prng, settings) => {
      const code = prng.pick(NAK_CODES);
      const oneRic = prng.chance(0.5);
      const ric = prng.pick(settings.rics);
      const durationMs = scaled(prng, settings, 200, 1500) * (oneRic ? 3 : 1);
      const detail: FaultDetail = { code, durationMs };
      if (oneRic) detail.ric = ric;
      return detail;
    },
    run: (context, detail) => {
      const ric = typeof detail.ric === "string" ? { ric: detail.ric } : {};
      return timed(
        context,
        { type: "nak", code: String(detail.code), text: "chaos", ...ric },
        num(detail, "durationMs"),
      );
    },
  },
  tokenOutage("token-5xx", 1, [500, 502, 503]),
  tokenOutage("token-429", 0.7, [429]),
  {
    // A 400/401 is fatal on a password grant by design (§1.6), so it is aimed at a refresh grant: the client is
    // logged in on this epoch, hence holds a refresh token of it, and its next token request is a refresh.
    kind: "token-4xx-refresh",
    weight: 0.7,
    needsLogin: true,
    plan: (prng) => ({ status: prng.pick([400, 401]) }),
    run: async (context, detail) => {
      const sim = context.host.sim;
      const fault = sim.faults.add({ type: "token-errors", status: num(detail, "status"), count: 1 });
      const pending = (): boolean => sim.faults.list().some((active) => active.id === fault.id);
      await waitFor(() => !pending(), 10_000, "the token fault to be used", 50).catch(() => undefined);
      const used = !pending();
      if (!used) sim.faults.clear("token-errors");
      return { used };
    },
  },
  {
    kind: "token-delay",
    weight: 0.5,
    plan: (prng, settings) => ({ ms: prng.int(200, 1500), durationMs: scaled(prng, settings, 2000, 4000) }),
    run: (context, detail) => timed(context, { type: "token-delay", ms: num(detail, "ms") }, num(detail, "durationMs")),
  },
  {
    // A shrinking expires_in (§1.7): grants return less than before, down to one second.
    kind: "token-expires-in",
    weight: 1,
    plan: (prng, settings) => ({ seconds: prng.pick([1, 2, 3]), durationMs: scaled(prng, settings, 2000, 5000) }),
    run: (context, detail) =>
      timed(context, { type: "token-expires-in", seconds: num(detail, "seconds") }, num(detail, "durationMs")),
  },
  {
    // Logins refused for a while with retriable codes (token-related codes are fatal on a fresh token by design).
    kind: "reject-logins",
    weight: 1,
    plan: (prng, settings) => ({
      code: prng.pick(RETRIABLE_LOGIN_REFUSALS),
      durationMs: scaled(prng, settings, 500, 3000),
    }),
    run: async (context, detail) => {
      const durationMs = num(detail, "durationMs");
      add(context, { type: "reject-logins", code: String(detail.code), text: "chaos: logins refused", durationMs });
      add(context, { type: "disconnect" });
      await sleep(durationMs);
      return undefined;
    },
  },
  {
    kind: "restart",
    weight: 0.6,
    plan: (prng, settings) => ({ downMs: scaled(prng, settings, 100, 1500) }),
    run: async (context, detail) => {
      await context.host.restart(num(detail, "downMs"));
      return undefined;
    },
  },
  {
    // Stops the listener the contributor is on (else listener 0), so it has to fail over to the other one.
    kind: "failover",
    weight: 0.8,
    plan: (prng, settings) => ({ downMs: scaled(prng, settings, 1000, 4000) }),
    run: async (context, detail) => {
      const listener = context.currentListener() ?? 0;
      await context.host.failover(listener, num(detail, "downMs"));
      return { listener };
    },
  },
];

/** Every fault kind of the catalogue. */
export const FAULT_KINDS: readonly string[] = FAULT_CATALOGUE.map((fault) => fault.kind);

/** One planned step of the schedule: a pause, then a fault. */
export interface PlannedFault {
  definition: FaultDefinition;
  gapMs: number;
  detail: FaultDetail;
}

/** Draws the next step of the schedule from the PRNG alone (no run-time state), so it replays from the seed. */
export function planNextFault(prng: Prng, settings: PlanSettings, gapRangeMs: readonly [number, number]): PlannedFault {
  const definition = prng.weighted(FAULT_CATALOGUE.map((fault) => [fault, fault.weight] as const));
  const gapMs = Math.round(prng.int(gapRangeMs[0], gapRangeMs[1]) * settings.timeScale);
  return { definition, gapMs, detail: definition.plan(prng, settings) };
}
