/** Durations for people, in the CLI's messages. */

/** A duration for people: "500 ms", "2 s", "2.5 s". @param ms milliseconds. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}
