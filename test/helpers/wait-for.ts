/**
 * The suite's one polling wait. Prefer awaiting the event that makes an assertion true (a frame, a status
 * event, `closed()`); poll only state that announces no event of its own (counters, `client.state`).
 */

/** Thrown by {@link waitFor} when the condition still fails at the deadline. */
class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
}

/**
 * Resolves once `predicate()` returns true, checking it now and then every `intervalMs`; rejects with a
 * {@link WaitTimeoutError} after `timeoutMs`, naming what was awaited.
 *
 * @param predicate the condition (or a promise of it, e.g. an HTTP request's answer); it must not throw on a
 *   state not yet reached.
 * @param timeoutMs how long to wait, in milliseconds. @default 5000
 * @param what what is awaited, for the timeout message ("timed out after 5000 ms waiting for a reconnect");
 *   a function is called at the deadline, so the message can show the state reached (counts, output).
 *   @default "a condition"
 * @param intervalMs the pause between checks, in milliseconds. @default 5
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what: string | (() => string) = "a condition",
  intervalMs = 5,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await predicate())) {
    if (performance.now() > deadline) {
      const described = typeof what === "function" ? what() : what;
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${described}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
