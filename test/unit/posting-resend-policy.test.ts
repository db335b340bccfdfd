/**
 * The re-send policy after a dropped connection: a post whose Ack was lost is never re-sent over
 * fields a newer, acknowledged post to the same RIC carried. Pure logic (the ledger and the policy), then the
 * pipeline with a recording sink on a ManualClock.
 */
import { describe, expect, test } from "vitest";
import { type PostEntry, createPostEntry } from "../../src/client/posting/post-entry.js";
import { newPipelineCounters } from "../../src/client/posting/pipeline-counters.js";
import { PostFormat } from "../../src/client/posting/frame-builder.js";
import { resolvePipelineOptions } from "../../src/client/posting/pipeline-options.js";
import {
  RccError,
  AckTimeoutError,
  ContentError,
  NakError,
  POST_ERROR_CODES,
  PostError,
  SupersededError,
} from "../../src/client/errors.js";
import { PostPipeline } from "../../src/client/posting/post-pipeline.js";
import type { PostSink } from "../../src/client/connection/post-sink.js";
import { ResendPolicy } from "../../src/client/posting/resend-policy.js";
import { SupersessionLedger } from "../../src/client/posting/supersession-ledger.js";
import { ManualClock } from "../../src/util/clock.js";
import { silentLogger } from "../../src/util/logger.js";

const format = new PostFormat();

/** A post as sent on the current connection with `postId`. */
function sent(postId: number, ric: string, fields: Record<string, number>): PostEntry {
  const ricJson = JSON.stringify(ric);
  const fieldsJson = JSON.stringify(fields);
  const size = format.sizeWithoutPostId(Buffer.byteLength(ricJson) + Buffer.byteLength(fieldsJson));
  const entry = createPostEntry(ric, ricJson, fieldsJson, size, false);
  entry.postId = postId;
  entry.promise.catch(() => undefined);
  return entry;
}

/** The posts in flight, with the ledger fed as the pipeline feeds it. */
class Flight {
  readonly posts = new Map<number, PostEntry>();
  readonly ledger = new SupersessionLedger(this.posts);

  send(...entries: PostEntry[]): void {
    for (const entry of entries) this.posts.set(entry.postId, entry);
  }

  answer(entry: PostEntry, acked = true): void {
    this.posts.delete(entry.postId);
    this.ledger.settled(entry, acked);
  }
}

describe("SupersessionLedger", () => {
  test("while Acks arrive in PostID order nothing is recorded", () => {
    const flight = new Flight();
    const posts = [1, 2, 3, 4].map((id) => sent(id, "A.N", { BID: id }));
    flight.send(...posts);
    for (const post of posts.slice(0, 3)) flight.answer(post);
    expect(flight.ledger.trackedRics).toBe(0);
    expect(flight.ledger.coveredFields(posts[3]!)).toBeUndefined();
  });

  test("a newer acknowledged post to the same RIC covers the fields it carried", () => {
    const flight = new Flight();
    const older = sent(1, "A.N", { BID: 1, ASK: 1 });
    const newer = sent(2, "A.N", { BID: 2 });
    flight.send(older, newer);
    flight.answer(newer);
    expect(flight.ledger.coveredFields(older)).toEqual(new Set(["BID"]));
  });

  test("fields are covered by the union of every newer acknowledged post, but not by Naks or older posts", () => {
    const flight = new Flight();
    const oldest = sent(1, "A.N", { BID: 0 });
    const lost = sent(2, "A.N", { BID: 1, ASK: 1, TRDPRC_1: 1 });
    const bid = sent(3, "A.N", { BID: 2 });
    const ask = sent(4, "A.N", { ASK: 2 });
    const naked = sent(5, "A.N", { TRDPRC_1: 2 });
    flight.send(oldest, lost, bid, ask, naked);
    flight.answer(bid);
    flight.answer(oldest); // acknowledged late, but older than the lost post: covers nothing of it
    flight.answer(ask);
    flight.answer(naked, false);
    expect(flight.ledger.coveredFields(lost)).toEqual(new Set(["BID", "ASK"]));
  });

  test("Acks to other RICs cover nothing", () => {
    const flight = new Flight();
    const lost = sent(1, "A.N", { BID: 1 });
    const other = sent(2, "B.N", { BID: 2 });
    flight.send(lost, other);
    flight.answer(other);
    expect(flight.ledger.coveredFields(lost)).toBeUndefined();
  });

  test("a RIC's record goes once its overtaken posts have settled, and reset forgets everything", () => {
    const flight = new Flight();
    const late = sent(1, "A.N", { BID: 1 });
    const newer = sent(2, "A.N", { BID: 2 });
    const stuck = sent(3, "B.N", { BID: 3 });
    const newest = sent(4, "B.N", { BID: 4 });
    flight.send(late, newer, stuck, newest);
    flight.answer(newer);
    flight.answer(newest);
    expect(flight.ledger.trackedRics).toBe(2);
    flight.answer(late, false); // e.g. its Ack timed out
    expect(flight.ledger.trackedRics).toBe(1);
    flight.ledger.reset();
    expect(flight.ledger.trackedRics).toBe(0);
    expect(flight.ledger.coveredFields(stuck)).toBeUndefined();
  });
});

describe("ResendPolicy.takeLost", () => {
  function policy(resendInFlight: boolean, flight: Flight) {
    const counters = newPipelineCounters();
    const resend = new ResendPolicy(resendInFlight, {
      inFlight: flight.posts,
      prepare: { format, maxFrameBytes: 61_440 },
      counters,
    });
    return { resend, counters };
  }

  test("re-sends uncovered posts unchanged, a partly covered one with only its other fields, in order", async () => {
    const flight = new Flight();
    const { resend, counters } = policy(true, flight);
    const partly = sent(1, "A.N", { BID: 1, ASK: 1 });
    const fully = sent(2, "A.N", { BID: 1 });
    const untouched = sent(3, "B.N", { BID: 1 });
    const newer = sent(4, "A.N", { BID: 2 });
    for (const post of [partly, fully, untouched, newer]) flight.posts.set(post.postId, post);
    flight.posts.delete(newer.postId);
    resend.settled(newer, true);
    const sizeBefore = partly.sizeWithoutPostId;
    const kept = resend.takeLost([partly, fully, untouched], new Error("link lost"));
    expect(kept).toEqual([partly, untouched]);
    expect(partly.fieldsJson).toBe('{"ASK":1}');
    expect(partly.sizeWithoutPostId).toBe(sizeBefore - '"BID":1,'.length);
    expect(untouched.fieldsJson).toBe('{"BID":1}');
    expect(counters.resent).toBe(2);
    const error = await fully.promise.catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(SupersededError);
    expect(error).toBeInstanceOf(PostError);
    expect(error).toMatchObject({ code: "RCC_SUPERSEDED", retriable: false, ric: "A.N", postId: 2 });
    expect((error as Error).message).toBe(
      "a newer post to A.N was acknowledged before the Ack of post 2 arrived, so it was not re-sent",
    );
  });

  test("with resendInFlight false every lost post rejects with ConnectionLostError", async () => {
    const flight = new Flight();
    const { resend, counters } = policy(false, flight);
    const lost = sent(1, "A.N", { BID: 1 });
    expect(resend.takeLost([lost], new Error("link lost"))).toEqual([]);
    expect(counters.connectionLost).toBe(1);
    await expect(lost.promise).rejects.toMatchObject({ code: "RCC_CONNECTION_LOST", postId: 1 });
  });
});

/** A sink with unlimited rate that records every post it is given. */
class RecordingSink implements PostSink {
  readonly posts: { PostID: number; Key: { Name: string }; Message: { Fields: Record<string, unknown> } }[] = [];
  postCapacity(): number {
    return 1000;
  }
  postWaitMs(): number {
    return 0;
  }
  sendPosts(text: string): void {
    this.posts.push(...(JSON.parse(text) as RecordingSink["posts"]));
  }
  sendControl(): void {}
  postsSettled(): void {}
}

const flushed = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("PostPipeline re-sends after a reconnect", () => {
  function pipeline(clock: ManualClock, sink: RecordingSink): PostPipeline {
    const options = resolvePipelineOptions({ ackTimeoutMs: 10_000 });
    return new PostPipeline(options, { clock, log: silentLogger, sink, onNak: () => undefined });
  }

  test("a post overtaken by a newer acknowledged one is superseded; the rest is re-sent with new PostIDs", async () => {
    const clock = new ManualClock(0);
    const sink = new RecordingSink();
    const posts = pipeline(clock, sink);
    posts.onReady();
    const lostAck = posts.submit("A.N", { BID: 1, ASK: 1 });
    const superseded = posts.submit("B.N", { BID: 1 });
    const acked = posts.submit("A.N", { BID: 2 });
    const ackedB = posts.submit("B.N", { BID: 2, ASK: 2 });
    const inFlight = posts.submit("C.N", { BID: 1 });
    await flushed();
    expect(sink.posts.map((post) => post.PostID)).toEqual([1, 2, 3, 4, 5]);
    clock.advance(5);
    posts.onAck({ Type: "Ack", ID: 1, AckID: 3 }, clock.monotonic());
    posts.onAck({ Type: "Ack", ID: 1, AckID: 4 }, clock.monotonic());
    posts.onDisconnected(new Error("link lost"));
    await expect(acked).resolves.toMatchObject({ postId: 3 });
    await expect(ackedB).resolves.toMatchObject({ postId: 4 });
    await expect(superseded).rejects.toBeInstanceOf(SupersededError);
    expect(posts.counters.resent).toBe(2);
    posts.onReady();
    await flushed();
    const resent = sink.posts.slice(5).map((post) => [post.PostID, post.Key.Name, post.Message.Fields]);
    expect(resent).toEqual([
      [1, "A.N", { ASK: 1 }],
      [2, "C.N", { BID: 1 }],
    ]);
    posts.onAck({ Type: "Ack", ID: 1, AckID: 1 }, clock.monotonic());
    posts.onAck({ Type: "Ack", ID: 1, AckID: 2 }, clock.monotonic());
    await expect(lostAck).resolves.toMatchObject({ postId: 1, ric: "A.N" });
    await expect(inFlight).resolves.toMatchObject({ postId: 2, ric: "C.N" });
    expect(posts.inFlight).toBe(0);
    posts.rejectAll(() => new Error("closed"));
  });

  test("nothing acknowledged out of order: every lost post is re-sent as it was", async () => {
    const clock = new ManualClock(0);
    const sink = new RecordingSink();
    const posts = pipeline(clock, sink);
    posts.onReady();
    const first = posts.submit("A.N", { BID: 1 });
    const second = posts.submit("A.N", { BID: 2 });
    await flushed();
    posts.onDisconnected(new Error("link lost"));
    posts.onReady();
    await flushed();
    expect(sink.posts.slice(2).map((post) => post.Message.Fields)).toEqual([{ BID: 1 }, { BID: 2 }]);
    posts.onAck({ Type: "Ack", ID: 1, AckID: 1 }, clock.monotonic());
    posts.onAck({ Type: "Ack", ID: 1, AckID: 2 }, clock.monotonic());
    await expect(Promise.all([first, second])).resolves.toHaveLength(2);
    posts.rejectAll(() => new Error("closed"));
  });
});

describe("errors about one post", () => {
  test("share the PostError base and keep their codes, flags and instanceof behaviour", () => {
    const post = { ric: "A.N", postId: 7 };
    const errors = [
      new NakError("SourceDown", "down\n", post),
      new ContentError("JSON Unexpected FID ", post),
      new AckTimeoutError(post, 100),
      new SupersededError(post),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(PostError);
      expect(error).toBeInstanceOf(RccError);
      expect(error).toMatchObject({ ric: "A.N", postId: 7 });
    }
    expect(errors.map((error) => [error.name, error.code, error.retriable])).toEqual([
      ["NakError", POST_ERROR_CODES.nak, true],
      ["ContentError", POST_ERROR_CODES.content, false],
      ["AckTimeoutError", POST_ERROR_CODES.ackTimeout, true],
      ["SupersededError", "RCC_SUPERSEDED", false],
    ]);
    expect(errors[0]).toMatchObject({ nakCode: "SourceDown", text: "down" });
    expect(errors[1]).toMatchObject({ text: "JSON Unexpected FID" });
    expect(errors[2]).toMatchObject({ timeoutMs: 100 });
    expect(errors[3]).not.toBeInstanceOf(AckTimeoutError);
  });
});
