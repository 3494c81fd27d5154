/**
 * A memo of computed values by key, for a process's hot paths (stage ids, local days, parsed
 * templates): `get(key, compute)` answers the value kept for `key`, else computes, keeps and
 * answers it. At `max` entries it starts again empty: bounded, and a working set that fits stays.
 * A compute that throws keeps nothing. `undefined` is never kept (every call computes it again).
 */
export function boundedMemo<K, V>(max: number): (key: K, compute: () => V) => V {
  const kept = new Map<K, V>();
  return (key, compute) => {
    let value = kept.get(key);
    if (value === undefined) {
      value = compute();
      if (kept.size >= max) kept.clear();
      kept.set(key, value);
    }
    return value;
  };
}
