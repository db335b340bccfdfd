/** Waiting on NATS with a limit: what a cluster gateway does when a call may hang while NATS is unreachable. */

/**
 * Waits for `work` at most `ms` milliseconds; its failure is ignored either way (the caller decides what a call
 * that did not finish in time means: a lease's age limit, the count of the last round).
 */
export async function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
