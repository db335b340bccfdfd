/**
 * `GET /v1/outcomes?after=CURSOR`: the outcome log as server-sent events, oldest first, then live. Each event
 * is `id: <cursor>`, `event: outcome`, `data: <the item's view>`; a producer that reconnects with
 * `Last-Event-ID` (or `?after=`) continues where it stopped, across gateway restarts, for as long as outcomes
 * are kept. The stream reads the outbox by cursor whenever it has room, so a slow reader holds no backlog in
 * memory: it is simply further behind in the log. Only outcomes within the key's scope are sent.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Producer } from "../api-keys.js";
import { viewItem } from "../item-view.js";
import type { Outbox } from "../outbox/outbox.js";

/** Outcome streams open at once, at most; beyond it 503. */
const MAX_STREAMS = 64;
/** Records read per look at the log. */
const PAGE = 500;
/** A comment line this often keeps proxies from closing an idle stream, milliseconds. */
const KEEPALIVE_MS = 15_000;

/** What a stream needs. */
export interface OutcomeStreamContext {
  producer: Producer;
  after: number;
  outbox: Outbox;
  closing: () => boolean;
  onOutcomes: (listener: () => void) => () => void;
  /** The app's open streams (their `end`), so that closing the app ends them. */
  streams: Set<() => void>;
}

/** Serves one outcome stream until the client goes or the gateway stops. */
export function streamOutcomes(
  request: FastifyRequest,
  reply: FastifyReply,
  context: OutcomeStreamContext,
): FastifyReply | Promise<FastifyReply> {
  if (context.streams.size >= MAX_STREAMS) {
    return reply
      .code(503)
      .send({ error: { code: "too-many-streams", message: `at most ${MAX_STREAMS} outcome streams` } });
  }
  void reply.hijack();
  const socket = reply.raw;
  socket.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    Connection: "keep-alive",
  });
  socket.write(": rcc gateway outcomes\n\n");
  let cursor = context.after;
  let ended = false;
  let pumping = false;

  const pump = () => {
    if (ended || pumping) return;
    pumping = true;
    try {
      while (!ended) {
        const records = context.outbox.outcomesAfter(cursor, PAGE);
        if (records.length === 0) break;
        let text = "";
        for (const record of records) {
          cursor = record.cursor;
          if (!context.producer.may(record.item.account, record.item.ric)) continue;
          text += `id: ${record.cursor}\nevent: outcome\ndata: ${JSON.stringify(viewItem(record.item))}\n\n`;
        }
        // The log moved past the records out of scope too: say so, so a reconnect need not read them again.
        if (text === "") text = `id: ${cursor}\n\n`;
        if (!socket.write(text)) {
          socket.once("drain", () => {
            pumping = false;
            pump();
          });
          return;
        }
        if (records.length < PAGE) break;
      }
    } catch {
      end(); // the outbox closed under us: the gateway is stopping
      return;
    }
    pumping = false;
  };

  // Outcomes are told one by one; the stream reads the log once per event-loop turn however many there were.
  let scheduled = false;
  const unsubscribe = context.onOutcomes(() => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      pump();
    });
  });
  const keepalive = setInterval(() => {
    if (context.closing()) end();
    else socket.write(": keepalive\n\n");
  }, KEEPALIVE_MS).unref();
  const end = () => {
    if (ended) return;
    ended = true;
    context.streams.delete(end);
    clearInterval(keepalive);
    unsubscribe();
    socket.end();
  };
  context.streams.add(end);
  request.raw.on("close", end);
  socket.on("error", end);
  socket.on("close", end);
  pump();
  return reply;
}
