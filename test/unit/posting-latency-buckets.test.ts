/** LatencyHistogram bucket edges around powers of two (the exponent comes from a leading-zero count). */
import { describe, expect, test } from "vitest";
import { LatencyHistogram } from "../../src/client/posting/latency.js";

/** The p50 of `valueMs` recorded beside a much larger value: the upper edge of `valueMs`'s bucket, ms. */
function edgeOf(valueMs: number): number {
  const histogram = new LatencyHistogram();
  histogram.record(valueMs);
  histogram.record(1e9);
  return histogram.percentile(0.5);
}

describe("LatencyHistogram buckets", () => {
  test.each([
    [0.063, 0.063], // linear part: exact below 64 µs
    [0.064, 0.066], // 2^6 µs opens the first logarithmic bucket (edge 64 × 33/32)
    [0.127, 0.128], // last sub-bucket below 2^7
    [0.128, 0.132], // 2^7 opens the next power
    [1.024, 1.056], // 2^10
    [2_147_483.647, 2_147_483.648], // 2^31 - 1 µs: the largest value whose exponent is a leading-zero count
    [2_147_483.648, 2_214_592.512], // 2^31 µs and above take the logarithm
  ])("puts %f ms in the bucket whose upper edge is %f ms", (valueMs, upperEdgeMs) => {
    expect(edgeOf(valueMs)).toBeCloseTo(upperEdgeMs, 6);
  });

  test("keeps every recording in a bucket no lower than the value", () => {
    for (let micros = 1; micros < 5000; micros += 7) {
      expect(edgeOf(micros / 1000)).toBeGreaterThanOrEqual(micros / 1000);
    }
  });
});
