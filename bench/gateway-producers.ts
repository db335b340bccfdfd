/**
 * The producers of the gateway benchmark (bench/gateway.ts): HTTP clients in the bench process on node:http
 * with a keep-alive agent, driven either closed-loop (N producers, each sending its next request when the
 * previous one is answered) or open-loop at a fixed rate (a timer loop sending what is due).
 */
import http from "node:http";
import { tutorialFields } from "./workload.js";

/** One HTTP answer. */
interface HttpAnswer {
  status: number;
  body: string;
}

/** The RICs the producers contribute to, in turn (the simulator's default RIC pattern accepts them). */
const RICS = Array.from({ length: 9 }, (_, index) => `TRCCTEST0${index + 1}`);

/** Item `i` of the workload as a producer sends it: `{ ric, fields }` (the tutorial's fields). */
export function workloadItem(i: number): { ric: string; fields: ReturnType<typeof tutorialFields> } {
  return { ric: RICS[i % RICS.length]!, fields: tutorialFields(i) };
}

/** How long a request may wait for its answer, milliseconds. */
const REQUEST_TIMEOUT_MS = 30_000;

/** A producer's connection pool to one gateway: keep-alive sockets, the API key on every request. */
export class GatewayHttpClient {
  readonly #agent: http.Agent;
  readonly #host: string;
  readonly #port: number;
  readonly #authorization: string;

  /** @param maxSockets connections at most (requests beyond them wait in the agent's queue). */
  constructor(baseUrl: string, apiKey: string, maxSockets: number) {
    const url = new URL(baseUrl);
    this.#host = url.hostname;
    this.#port = Number(url.port);
    this.#authorization = `Bearer ${apiKey}`;
    this.#agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** `POST path` with a JSON body. */
  post(path: string, body: string): Promise<HttpAnswer> {
    return this.#request("POST", path, body);
  }

  /** `GET path`. */
  get(path: string): Promise<HttpAnswer> {
    return this.#request("GET", path, undefined);
  }

  /** Closes every socket. */
  close(): void {
    this.#agent.destroy();
  }

  #request(method: string, path: string, body: string | undefined): Promise<HttpAnswer> {
    const headers: http.OutgoingHttpHeaders = { authorization: this.#authorization };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(body);
    }
    return new Promise((resolve, reject) => {
      const request = http.request(
        { agent: this.#agent, host: this.#host, port: this.#port, method, path, headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      // A gateway that never answers fails the request instead of hanging the benchmark (`?wait=ack` answers
      // within its 10 s timeout at the latest).
      request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error(`no answer to ${method} ${path}`)));
      request.end(body);
    });
  }
}

/**
 * Sends one request and tells how many items it counts (acked, or accepted); throws for an unexpected
 * answer.
 */
type Send = (i: number) => Promise<number>;

/** What a driver measured in its measured window (after the warm-up). */
export interface DriveFigures {
  /** Requests answered within the window. */
  requests: number;
  /** The items they counted. */
  items: number;
  /** Requests that failed (an error, or an unexpected answer), warm-up included. */
  failures: number;
  firstError?: string;
  /** Latencies of the requests sent and answered within the window, milliseconds, sorted. */
  latenciesMs: number[];
  /** p50 of the first and of the last tenth of those latencies (in answer order): a backlog shows as growth. */
  firstTenthP50Ms: number;
  lastTenthP50Ms: number;
  /** The window's length, milliseconds. */
  windowMs: number;
  /** The bench process's CPU time (the producers) over the window, microseconds. */
  producerCpuUs: number;
}

/** Options of {@link closedLoop}. */
interface ClosedLoopOptions<T> {
  /** Producers, each with one request outstanding. */
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  send: Send;
  /** Read at the window's start and end (e.g. the children's CPU time). */
  probe: () => Promise<T>;
}

/** Runs `concurrency` producers for the warm-up and then the measured window; see {@link DriveFigures}. */
export async function closedLoop<T>(options: ClosedLoopOptions<T>): Promise<DriveFigures & { before: T; after: T }> {
  const { concurrency, warmupMs, durationMs, send, probe } = options;
  const recorder = new Recorder();
  let stopping = false;
  let next = 0;
  const producer = async (): Promise<void> => {
    while (!stopping) {
      const sentAt = performance.now();
      try {
        const items = await send(next++);
        recorder.answered(sentAt, performance.now(), items);
      } catch (error) {
        recorder.failed(error);
      }
    }
  };
  const producers = Array.from({ length: concurrency }, producer);
  try {
    await sleep(warmupMs);
    const before = await probe();
    recorder.open();
    await sleep(durationMs);
    recorder.close();
    const after = await probe();
    return { ...recorder.figures(), before, after };
  } finally {
    // Also when a probe failed: no producer may keep sending after its benchmark.
    stopping = true;
    await Promise.all(producers);
  }
}

/** Options of {@link pacedLoop}. */
interface PacedLoopOptions {
  /** Requests per second, sent on a 1 ms timer (what is due at each tick). */
  ratePerSecond: number;
  warmupMs: number;
  durationMs: number;
  send: Send;
}

/**
 * Sends requests at a fixed rate, whatever the answers: the latency of each is its own, not that of a queue
 * in the producer (the agent's sockets bound the requests in flight; beyond them requests wait in the agent,
 * and that wait counts).
 */
export async function pacedLoop(options: PacedLoopOptions): Promise<DriveFigures> {
  const { ratePerSecond, warmupMs, durationMs, send } = options;
  const recorder = new Recorder();
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  const total = Math.floor(((warmupMs + durationMs) * ratePerSecond) / 1000);
  let issued = 0;
  const fire = (i: number): void => {
    const sentAt = performance.now();
    const request = send(i).then(
      (count) => recorder.answered(sentAt, performance.now(), count),
      (error: unknown) => recorder.failed(error),
    );
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  };
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      if (recorder.state === "warm-up" && now - start >= warmupMs) recorder.open();
      const due = Math.min(total, Math.floor(((now - start) * ratePerSecond) / 1000));
      while (issued < due) fire(issued++);
      if (issued >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  // The window ends when the last request has been sent; those still in flight are answered within it.
  await Promise.all(inFlight);
  recorder.close();
  return recorder.figures();
}

/** Counts answers and latencies within the measured window. */
class Recorder {
  state: "warm-up" | "open" | "closed" = "warm-up";
  #openedAt = Number.POSITIVE_INFINITY;
  #closedAt = Number.POSITIVE_INFINITY;
  #cpuAtOpen: NodeJS.CpuUsage | undefined;
  #cpuUs = 0;
  #requests = 0;
  #items = 0;
  #failures = 0;
  #firstError: string | undefined;
  readonly #latencies: number[] = [];

  open(): void {
    this.state = "open";
    this.#openedAt = performance.now();
    this.#cpuAtOpen = process.cpuUsage();
  }

  close(): void {
    this.state = "closed";
    this.#closedAt = performance.now();
    const cpu = process.cpuUsage(this.#cpuAtOpen);
    this.#cpuUs = cpu.user + cpu.system;
  }

  answered(sentAt: number, answeredAt: number, items: number): void {
    if (answeredAt < this.#openedAt || answeredAt >= this.#closedAt) return;
    this.#requests += 1;
    this.#items += items;
    if (sentAt >= this.#openedAt) this.#latencies.push(answeredAt - sentAt);
  }

  failed(error: unknown): void {
    this.#failures += 1;
    this.#firstError ??= error instanceof Error ? error.message : String(error);
  }

  figures(): DriveFigures {
    const tenth = Math.max(1, Math.floor(this.#latencies.length / 10));
    const median = (part: number[]) => part.sort((a, b) => a - b)[Math.floor((part.length - 1) / 2)] ?? Number.NaN;
    return {
      requests: this.#requests,
      items: this.#items,
      failures: this.#failures,
      ...(this.#firstError === undefined ? {} : { firstError: this.#firstError }),
      latenciesMs: [...this.#latencies].sort((a, b) => a - b),
      firstTenthP50Ms: median(this.#latencies.slice(0, tenth)),
      lastTenthP50Ms: median(this.#latencies.slice(-tenth)),
      windowMs: this.#closedAt - this.#openedAt,
      producerCpuUs: this.#cpuUs,
    };
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
