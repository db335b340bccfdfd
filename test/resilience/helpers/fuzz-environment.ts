/**
 * Shared set-up of the simulator fuzz suites: one simulator per file with two accounts (one for the healthy
 * poster, one for the fuzzing connections, so their RDP sessions never revoke each other), a
 * {@link HealthyPoster} checked after every test, and process hooks that record any exception or rejection
 * escaping the event loop (the simulator must never throw out of a handler).
 */
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "../../../src/simulator/index.js";
import { passwordGrant } from "../../helpers/auth.js";
import { type RawClient, closeAllRawClients, connectRaw, loginRequest } from "../../helpers/raw-client.js";
import { FrameProber } from "./frame-prober.js";
import { HealthyPoster } from "./healthy-poster.js";

/** The fuzzing connections' account (local simulator credentials, not a secret). */
const FUZZ_ACCOUNT = { user: "GE-A-00000002-1-0002", password: "fuzz-password-not-a-secret" } as const;
const HEALTHY_ACCOUNT = { user: "GE-A-00000001-1-0001", password: "healthy-password-not-a-secret" } as const;

/** What a fuzz suite works with (valid from `beforeAll` on). */
export interface FuzzEnvironment {
  readonly sim: RunningSimulator;
  readonly healthy: HealthyPoster;
  /** Messages of exceptions and rejections that escaped to the process. */
  readonly escaped: string[];
  /** A prober on connections that never log in. */
  anonymous(): FrameProber;
  /** A prober on connections logged in as {@link FUZZ_ACCOUNT} (login stream ID 1). */
  loggedIn(): FrameProber;
  /** Opens a connection and logs in as {@link FUZZ_ACCOUNT}. */
  login(): Promise<RawClient>;
}

/** Registers the hooks of a fuzz suite; call once at the top of the file. */
export function useFuzzEnvironment(options: SimulatorOptions = {}): FuzzEnvironment {
  let sim: RunningSimulator | undefined;
  let healthy: HealthyPoster | undefined;
  const escaped: string[] = [];
  const onException = (error: Error): void => void escaped.push(`uncaughtException: ${error.message}`);
  const onRejection = (reason: unknown): void => void escaped.push(`unhandledRejection: ${String(reason)}`);
  const probers: FrameProber[] = [];
  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the fuzz environment is used before beforeAll");
    return value;
  };
  const login = async (): Promise<RawClient> => {
    const running = need(sim);
    const account = { ...FUZZ_ACCOUNT, clientId: FUZZ_ACCOUNT.user };
    const tokens = await passwordGrant(running.authUrl, account);
    const client = await connectRaw(running.wsUrls[0]!);
    client.send(loginRequest(tokens.accessToken));
    const refresh = await client.next((message) => message.Domain === "Login");
    if (refresh.Type !== "Refresh") throw new Error(`fuzz login refused: ${JSON.stringify(refresh)}`);
    return client;
  };

  beforeAll(async () => {
    process.on("uncaughtException", onException);
    process.on("unhandledRejection", onRejection);
    sim = await startSimulator({
      accounts: [
        { ...HEALTHY_ACCOUNT, clientId: HEALTHY_ACCOUNT.user },
        { ...FUZZ_ACCOUNT, clientId: FUZZ_ACCOUNT.user },
      ],
      ...options,
    });
    healthy = await HealthyPoster.start(sim);
  });
  afterEach(() => {
    expect(escaped).toEqual([]);
    need(healthy).assertHealthy();
  });
  afterAll(async () => {
    try {
      await healthy?.stop();
    } finally {
      await Promise.all(probers.map((prober) => prober.close()));
      await closeAllRawClients();
      await sim?.close();
      process.off("uncaughtException", onException);
      process.off("unhandledRejection", onRejection);
    }
    expect(escaped).toEqual([]);
  });

  return {
    get sim() {
      return need(sim);
    },
    get healthy() {
      return need(healthy);
    },
    escaped,
    anonymous() {
      const prober = new FrameProber(() => connectRaw(need(sim).wsUrls[0]!));
      probers.push(prober);
      return prober;
    },
    loggedIn() {
      const prober = new FrameProber(login);
      probers.push(prober);
      return prober;
    },
    login,
  };
}
