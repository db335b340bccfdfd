/**
 * Figures measured once per `npm run bench` run and shared between benchmarks, so that a ratio (end to end
 * against the codec bound, ours against the reference client) compares numbers from the same run.
 */
const cache = new Map<string, Promise<unknown>>();

/** The result of `compute` under `key`, computed at most once per process. */
export function memo<T>(key: string, compute: () => Promise<T> | T): Promise<T> {
  let value = cache.get(key) as Promise<T> | undefined;
  if (value === undefined) {
    value = Promise.resolve().then(compute);
    // A failed computation is not cached: the next caller tries again.
    value.catch(() => cache.delete(key));
    cache.set(key, value);
  }
  return value;
}
