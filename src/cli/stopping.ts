/**
 * How the long-running commands (`contribute`, `demo`, `watch`, `gateway`) stop and how long they keep trying:
 * the signals that stop them, and the defaults of `--drain-timeout` and `--reconnect-for`. Kept free of
 * imports: the commands' registration loads it at start-up.
 */

/** `--reconnect-for` when not given: five minutes of reconnecting before a command gives up (exit 4). */
export const DEFAULT_RECONNECT_FOR_MS = 300_000;

/** `--drain-timeout` when not given: how long a stop waits for the Acks of posts already sent. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/**
 * Calls `handler` on every SIGINT (Ctrl+C), SIGTERM (`kill`, a service manager) and SIGHUP (the terminal went
 * away), alike, with how many of them have arrived so far: a command stops gently on the first and harder on
 * the next. While registered, none of them kills the process.
 * @returns a function that removes the handler.
 */
export function onStopSignals(handler: (count: number) => void): () => void {
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  let count = 0;
  const listener = (): void => {
    count += 1;
    handler(count);
  };
  for (const signal of signals) process.on(signal, listener);
  return () => {
    for (const signal of signals) process.off(signal, listener);
  };
}
