/**
 * codec: in one process, encode a post frame and decode an ack frame — the JSON cost bound the end-to-end
 * figures are compared with (benchmark 1 in docs/performance.md).
 */
import { buildPost, parseFrame } from "../src/protocol/messages.js";
import { memo } from "./memo.js";
import { type Bench, round } from "./result.js";

function measure(_label: string, durationMs: number, op: () => void): number {
  // Warm up, then count operations for the duration.
  const warmEnd = performance.now() + Math.min(200, durationMs / 5);
  while (performance.now() < warmEnd) op();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < durationMs) {
    for (let i = 0; i < 1000; i++) op();
    ops += 1000;
    now = performance.now();
  }

  return ops / ((now - start) / 1000);
}

/** The codec figures, operations per second (round trip = one encoded post plus one decoded ack). */
export interface CodecFigures {
  durationMs: number;
  encode: number;
  decode: number;
  roundTrip: number;
  roundTripBatched: number;
}

/** Measures the codec once per run (the end-to-end benchmarks divide by these figures). */
export function codecFigures(quick: boolean): Promise<CodecFigures> {
  return memo("codec", () => measureCodec(quick ? 1000 : 3000));
}

function measureCodec(durationMs: number): CodecFigures {
  const fields = { BID: 451.55, ASK: 451.57, DSPLY_NAME: "Hello RCC", PRIMACT_1: 100, SEC_ACT_1: 20 };
  let postId = 0;
  let sink = 0;
  const encode = measure("encode", durationMs, () => {
    postId += 1;
    sink += JSON.stringify(buildPost({ ric: "TRCCTEST01", fields, postId })).length;
  });
  const ackFrame = JSON.stringify([{ Type: "Ack", ID: 1, AckID: 17 }]);
  const decode = measure("decode", durationMs, () => {
    const messages = parseFrame(ackFrame) as { AckID?: number }[];
    sink += messages[0]?.AckID ?? 0;
  });
  // Batched variant: 100 posts per frame, 100 acks per frame, per message.
  const batch = Array.from({ length: 100 }, (_, i) => i);
  const encodeBatched =
    100 *
    measure("encode-batched", durationMs, () => {
      sink += JSON.stringify(batch.map((i) => buildPost({ ric: "TRCCTEST01", fields, postId: postId + i }))).length;
    });
  const acks = JSON.stringify(batch.map((i) => ({ Type: "Ack", ID: 1, AckID: i })));
  const decodeBatched =
    100 *
    measure("decode-batched", durationMs, () => {
      sink += parseFrame(acks).length;
    });
  if (sink < 0) console.error(sink);
  const roundTrip = 1 / (1 / encode + 1 / decode);
  const roundTripBatched = 1 / (1 / encodeBatched + 1 / decodeBatched);
  return { durationMs, encode, decode, roundTrip, roundTripBatched };
}

export const codec: Bench = async ({ quick }) => {
  const { durationMs, encode, decode, roundTrip, roundTripBatched } = await codecFigures(quick);
  const params = { fields: 5, durationMs };
  return [
    { bench: "codec", metric: "encode_post_ops_per_s", value: round(encode), unit: "ops/s", params },
    { bench: "codec", metric: "decode_ack_ops_per_s", value: round(decode), unit: "ops/s", params },
    { bench: "codec", metric: "post_ack_roundtrip_ops_per_s", value: round(roundTrip), unit: "ops/s", params },
    {
      bench: "codec",
      metric: "post_ack_roundtrip_batched_ops_per_s",
      value: round(roundTripBatched),
      unit: "ops/s",
      params: { ...params, batch: 100 },
    },
  ];
};
