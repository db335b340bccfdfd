/**
 * Owns the simulator of a chaos run across full restarts: it remembers the HTTP port and the WebSocket ports
 * of the first start, so a restart (close, then `startSimulator` with the same `httpPort`/`wsPorts`) brings the
 * endpoints back where the contributor expects them. Each start is an "epoch"; observers are told about every
 * start and every completed close, because the simulator's state (and its connection ids) reset on a restart.
 */
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "../../../src/simulator/index.js";

/** Told about each (re)start, and about each close once it is complete. */
export interface SimulatorLifecycle {
  started(sim: RunningSimulator, epoch: number): void;
  stopped(sim: RunningSimulator, epoch: number): void;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A simulator that can be restarted on the same ports and have its listeners stopped and started. */
export class SimulatorHost {
  readonly #options: SimulatorOptions;
  readonly #lifecycle: SimulatorLifecycle;
  #sim: RunningSimulator;
  #epoch = 1;
  readonly #httpPort: number;
  readonly #wsPorts: number[];
  #closed = false;

  private constructor(sim: RunningSimulator, options: SimulatorOptions, lifecycle: SimulatorLifecycle) {
    this.#sim = sim;
    this.#options = options;
    this.#lifecycle = lifecycle;
    this.#httpPort = portOf(sim.authUrl);
    this.#wsPorts = sim.wsUrls.map(portOf);
  }

  /** Starts the first epoch on free ports. */
  static async start(options: SimulatorOptions, lifecycle: SimulatorLifecycle): Promise<SimulatorHost> {
    const sim = await startSimulator(options);
    const host = new SimulatorHost(sim, options, lifecycle);
    lifecycle.started(sim, 1);
    return host;
  }

  /** The simulator of the current epoch. */
  get sim(): RunningSimulator {
    return this.#sim;
  }

  /** 1 for the first start, +1 per restart. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Every listener is accepting connections. */
  get allListening(): boolean {
    return this.#sim.listeners.every((listener) => listener.listening);
  }

  /**
   * A full restart: closes everything (every connection, the token store, the state), waits `downMs`, and
   * starts a new simulator on the same ports. Retries the listen a few times should a port still be held.
   */
  async restart(downMs: number): Promise<void> {
    const old = this.#sim;
    await old.close();
    this.#lifecycle.stopped(old, this.#epoch);
    await sleep(downMs);
    let lastError: unknown;
    for (let attempt = 0; attempt < 20 && !this.#closed; attempt++) {
      try {
        this.#sim = await startSimulator({ ...this.#options, httpPort: this.#httpPort, wsPorts: this.#wsPorts });
        this.#epoch += 1;
        this.#lifecycle.started(this.#sim, this.#epoch);
        return;
      } catch (error) {
        lastError = error;
        await sleep(50);
      }
    }
    throw new Error(`the simulator did not restart on its ports: ${String(lastError)}`);
  }

  /** Stops listener `index` (its connections are closed with 1001), waits `downMs`, starts it again. */
  async failover(index: number, downMs: number): Promise<void> {
    const sim = this.#sim;
    await sim.stopListener(index);
    await sleep(downMs);
    await sim.startListener(index);
  }

  /** Makes sure every listener is up (after an interrupted run). */
  async startAllListeners(): Promise<void> {
    for (const listener of this.#sim.listeners) {
      if (!listener.listening) await this.#sim.startListener(listener.index);
    }
  }

  /** Closes the current simulator for good. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sim.close();
    this.#lifecycle.stopped(this.#sim, this.#epoch);
  }
}
