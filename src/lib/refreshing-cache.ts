export interface RefreshingCacheOptions {
  /** How long a value read is used before it is read again (milliseconds of `now`). */
  refreshMs: number;
  /** Told when a failed refresh keeps the last value: once per key and period, not once per call. */
  onStale?: (key: string, error: unknown) => void;
  /** Most keys kept at once; past it the cache starts again from none (default 1,000). */
  maxEntries?: number;
  /**
   * A monotonic clock in milliseconds (default `performance.now`): real elapsed time, not the
   * program's clock, which tests and the demo move in jumps. Tests pass one they move.
   */
  now?: () => number;
}

export interface RefreshingCache<V> {
  /**
   * The value of `key`: the one read less than `refreshMs` ago, else read by `load`. Callers
   * asking while a read is under way share it (one query, not one per caller).
   */
  get(key: string, load: () => Promise<V>): Promise<V>;
}

/**
 * Values kept per key (an organisation, an organisation's year) and read again once per
 * `refreshMs`, so that a change (an administrator's edit) reaches every process within that time
 * while the calls meanwhile share one read.
 *
 * Steps of {@link RefreshingCache.get}:
 * 1. A value read less than `refreshMs` ago (or being read) is returned as it is.
 * 2. Otherwise a read starts and becomes the key's value at once (later callers share it).
 * 3. If it fails and a value was read before it, that value is returned and kept for another
 *    period (the failure reported once through `onStale`); with none before, the key is forgotten
 *    (unless a newer read replaced it), the callers get the failure and the next call reads again.
 */
export function createRefreshingCache<V>(options: RefreshingCacheOptions): RefreshingCache<V> {
  const { refreshMs, onStale, maxEntries = 1_000, now = () => performance.now() } = options;
  const entries = new Map<string, { at: number; value: Promise<V> }>();
  return {
    get(key, load) {
      const at = now();
      const hit = entries.get(key);
      if (hit && at - hit.at < refreshMs) return hit.value;
      // A value before this read: it resolves to a good value (a failed read with none before is forgotten).
      const previous = hit?.value;
      const value: Promise<V> = load().catch((error: unknown) => {
        const current = entries.get(key)?.value === value;
        if (previous) {
          // Keep working with the last value, and read again one period later: not at every call, so
          // an outage costs one failed query and one report per period.
          if (current) {
            onStale?.(key, error);
            entries.set(key, { at: now(), value: previous });
          }
          return previous;
        }
        if (current) entries.delete(key);
        throw error;
      });
      if (!hit && entries.size >= maxEntries) entries.clear();
      entries.set(key, { at, value });
      return value;
    },
  };
}
