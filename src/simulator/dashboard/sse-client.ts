/**
 * One page's server-sent event stream. Writes {@link FeedEvent}s as `event:`/`data:` frames and a comment
 * heartbeat so proxies keep the stream open. Memory stays bounded when the page reads slowly: once the
 * socket's buffer is full, events are merged into one pending slot per kind (the latest tick, the latest
 * image of each RIC and connection, the latest refused logins) and written when the socket drains, so
 * intermediate ticks are dropped while the page still ends up with the final state. At most `maxPendingRics`
 * RIC images and {@link MAX_PENDING_REFUSALS} refused logins are held.
 */
import type { Writable } from "node:stream";
import type { Clock, TimerHandle } from "../../util/clock.js";
import type { ConnectionInfo, LoginRefusal } from "../state.js";
import type { FaultsEvent, FeedEvent, FeedSink, RicView, TickEvent } from "./feed-types.js";

/** Refused logins held while the page reads slowly (the activity panel shows 100 lines); older ones are dropped. */
const MAX_PENDING_REFUSALS = 100;

/** Options of an {@link SseClient}. */
export interface SseClientOptions {
  /** Interval of heartbeat comments, milliseconds. @default 15_000 */
  heartbeatIntervalMs?: number;
  /** Reconnection delay the browser is told to use (`retry:` field), milliseconds. @default 2000 */
  retryMs?: number;
  /**
   * RIC images held while the page reads slowly; beyond it the least recently changed one is dropped, so a
   * slow page during a huge fill never makes the stream hold (and later write as one string) the whole table.
   * The page shows only the most recently updated RICs anyway. @default 1_000
   */
  maxPendingRics?: number;
}

/** What an {@link SseClient} has written and dropped, for tests and logs. */
export interface SseClientStats {
  /** Events written to the socket. */
  written: number;
  /** Events merged away or superseded while the socket was congested. */
  dropped: number;
  /** Whether the socket's buffer is full right now. */
  congested: boolean;
}

/** Formats one SSE frame; JSON never contains a raw newline, so one `data:` line is enough. */
export function formatSseEvent(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Writes feed events to one HTTP response (or any writable), with bounded buffering. */
export class SseClient implements FeedSink {
  readonly #out: Writable;
  readonly #clock: Clock;
  readonly #heartbeatIntervalMs: number;
  readonly #maxPendingRics: number;
  #heartbeat: TimerHandle | undefined;
  #closed = false;
  #congested = false;
  #written = 0;
  #dropped = 0;
  // Pending slots while congested: the newest of each kind only.
  readonly #pendingConnections = new Map<string, ConnectionInfo>();
  readonly #pendingRics = new Map<string, RicView>();
  #pendingTick: TickEvent | undefined;
  #pendingFaults: FaultsEvent | undefined;
  /** Each one is a line of the activity panel, not a state: all are kept (up to a bound), in order. */
  readonly #pendingRefusals: LoginRefusal[] = [];
  #pendingSnapshot: FeedEvent | undefined;

  constructor(out: Writable, clock: Clock, options: SseClientOptions = {}) {
    this.#out = out;
    this.#clock = clock;
    this.#heartbeatIntervalMs = options.heartbeatIntervalMs ?? 15_000;
    this.#maxPendingRics = options.maxPendingRics ?? 1_000;
    this.#write(`retry: ${options.retryMs ?? 2000}\n\n`);
    this.#scheduleHeartbeat();
  }

  /** Counts of written and dropped events. */
  get stats(): SseClientStats {
    return { written: this.#written, dropped: this.#dropped, congested: this.#congested };
  }

  /** Writes `event`, or keeps its newest form until the socket drains. */
  send(event: FeedEvent): void {
    if (this.#closed) return;
    if (!this.#congested) {
      this.#written += 1;
      this.#write(formatSseEvent(event.type, event.data));
      return;
    }
    this.#hold(event);
  }

  /** Stops the heartbeat and drops anything pending; the response itself is ended by its owner. */
  close(): void {
    this.#closed = true;
    if (this.#heartbeat) this.#clock.clearTimeout(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#out.off("drain", this.#onDrain);
    this.#clearPending();
  }

  #hold(event: FeedEvent): void {
    switch (event.type) {
      case "snapshot":
        // A snapshot supersedes everything held before it.
        this.#dropped += this.#clearPending();
        this.#pendingSnapshot = event;
        return;
      case "connection":
        if (this.#pendingConnections.has(event.data.id)) this.#dropped += 1;
        this.#pendingConnections.set(event.data.id, event.data);
        return;
      case "rics":
        for (const view of event.data) {
          if (this.#pendingRics.has(view.ric)) this.#dropped += 1;
          this.#pendingRics.delete(view.ric); // re-insert: keep the order of the latest change
          this.#pendingRics.set(view.ric, view);
          if (this.#pendingRics.size > this.#maxPendingRics) {
            // A Map iterates in insertion order: the first key is the least recently changed RIC.
            const oldest = this.#pendingRics.keys().next().value;
            if (oldest !== undefined) this.#pendingRics.delete(oldest);
            this.#dropped += 1;
          }
        }
        return;
      case "tick":
        if (this.#pendingTick) this.#dropped += 1;
        this.#pendingTick = event.data;
        return;
      case "faults":
        if (this.#pendingFaults) this.#dropped += 1;
        this.#pendingFaults = event.data;
        return;
      case "login-refused":
        this.#pendingRefusals.push(event.data);
        if (this.#pendingRefusals.length > MAX_PENDING_REFUSALS) {
          this.#pendingRefusals.shift();
          this.#dropped += 1;
        }
        return;
    }
  }

  /** Empties the pending slots; @returns how many events they held. */
  #clearPending(): number {
    const held =
      (this.#pendingSnapshot ? 1 : 0) +
      this.#pendingConnections.size +
      this.#pendingRics.size +
      (this.#pendingTick ? 1 : 0) +
      (this.#pendingFaults ? 1 : 0) +
      this.#pendingRefusals.length;
    this.#pendingSnapshot = undefined;
    this.#pendingRefusals.length = 0;
    this.#pendingConnections.clear();
    this.#pendingRics.clear();
    this.#pendingTick = undefined;
    this.#pendingFaults = undefined;
    return held;
  }

  readonly #onDrain = (): void => {
    this.#congested = false;
    if (this.#closed) return;
    const events: FeedEvent[] = [];
    if (this.#pendingSnapshot) events.push(this.#pendingSnapshot);
    for (const info of this.#pendingConnections.values()) events.push({ type: "connection", data: info });
    if (this.#pendingFaults) events.push({ type: "faults", data: this.#pendingFaults });
    for (const refusal of this.#pendingRefusals) events.push({ type: "login-refused", data: refusal });
    if (this.#pendingRics.size > 0) events.push({ type: "rics", data: [...this.#pendingRics.values()] });
    if (this.#pendingTick) events.push({ type: "tick", data: this.#pendingTick });
    this.#clearPending();
    // One write for everything held: if it fills the buffer again, later events are held again.
    if (events.length > 0) {
      this.#written += events.length;
      this.#write(events.map((event) => formatSseEvent(event.type, event.data)).join(""));
    }
  };

  #write(chunk: string): void {
    if (this.#out.writableEnded || this.#out.destroyed) return;
    if (!this.#out.write(chunk)) {
      this.#congested = true;
      this.#out.once("drain", this.#onDrain);
    }
  }

  #scheduleHeartbeat(): void {
    this.#heartbeat = this.#clock
      .setTimeout(() => {
        // A comment line: ignored by EventSource, but keeps idle proxies and NATs from closing the stream.
        if (!this.#congested) this.#write(": keep-alive\n\n");
        this.#scheduleHeartbeat();
      }, this.#heartbeatIntervalMs)
      .unref();
  }
}
