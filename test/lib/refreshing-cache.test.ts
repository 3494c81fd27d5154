import { describe, expect, it } from 'vitest';
import { createRefreshingCache } from '#root/lib/refreshing-cache.js';

/** A monotonic clock the test moves, and a source whose reads are counted and can be made to fail. */
function world(extra: { maxEntries?: number } = {}) {
  let now = 1_000;
  const reads: string[] = [];
  const stale: string[] = [];
  let failing: Error | null = null;
  let version = 0;
  const cache = createRefreshingCache<string>({
    refreshMs: 10_000,
    onStale: (key, error) => stale.push(`${key}: ${(error as Error).message}`),
    now: () => now,
    ...extra,
  });
  const get = (key = 'org-a') =>
    cache.get(key, async () => {
      reads.push(key);
      if (failing) throw failing;
      return `${key} v${++version}`;
    });
  return {
    get,
    reads,
    stale,
    advance: (ms: number) => void (now += ms),
    fail: (message: string | null) => void (failing = message === null ? null : new Error(message)),
  };
}

describe('a refreshing cache', () => {
  it('reads a key once per period, callers meanwhile sharing the read', async () => {
    const w = world();
    expect(await Promise.all([w.get(), w.get(), w.get()])).toEqual(['org-a v1', 'org-a v1', 'org-a v1']);
    w.advance(9_999);
    expect(await w.get()).toBe('org-a v1');
    expect(w.reads).toEqual(['org-a']);
    w.advance(1);
    expect(await w.get()).toBe('org-a v2');
    expect(await w.get('org-b')).toBe('org-b v3');
    expect(w.reads).toEqual(['org-a', 'org-a', 'org-b']);
  });

  describe('when a refresh fails and the last value is kept', () => {
    it('answers with the last value, says so once, and reads again one period later', async () => {
      const w = world();
      expect(await w.get()).toBe('org-a v1');
      w.advance(10_000);
      w.fail('connection lost');
      expect(await Promise.all([w.get(), w.get()])).toEqual(['org-a v1', 'org-a v1']);
      expect(w.stale).toEqual(['org-a: connection lost']);
      // Not read again at every call while the database is away: once per period.
      w.advance(9_999);
      expect(await w.get()).toBe('org-a v1');
      expect(w.reads).toEqual(['org-a', 'org-a']);
      w.advance(1);
      w.fail(null);
      expect(await w.get()).toBe('org-a v2');
      expect(w.stale).toEqual(['org-a: connection lost']);
    });

    it('fails a first read, keeps nothing of it, and reads again at the next call', async () => {
      const w = world();
      w.fail('connection lost');
      await expect(w.get()).rejects.toThrow('connection lost');
      w.fail(null);
      expect(await w.get()).toBe('org-a v1');
      expect(w.reads).toEqual(['org-a', 'org-a']);
      expect(w.stale).toEqual([]);
    });
  });

  it('starts again from none past its most keys', async () => {
    const w = world({ maxEntries: 2 });
    await w.get('a');
    await w.get('b');
    await w.get('a');
    expect(w.reads).toEqual(['a', 'b']);
    await w.get('c');
    await w.get('a');
    expect(w.reads).toEqual(['a', 'b', 'c', 'a']);
  });
});
