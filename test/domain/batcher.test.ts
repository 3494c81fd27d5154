import { describe, expect, it } from 'vitest';
import { createBatcher } from '#root/lib/batcher.js';
import { createSemaphore } from '#root/lib/semaphore.js';

describe('the batcher', () => {
  it('runs concurrent calls as one batch and answers each caller with its own result', async () => {
    const batches: number[][] = [];
    const double = createBatcher(
      async (xs: number[]) => {
        batches.push(xs);
        return xs.map((x) => x * 2);
      },
      { maxSize: 100, maxWaitMs: 5 },
    );
    expect(await Promise.all([1, 2, 3].map(double))).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('flushes at maxSize without waiting', async () => {
    const batches: number[][] = [];
    const id = createBatcher(
      async (xs: number[]) => {
        batches.push(xs);
        return xs;
      },
      { maxSize: 2, maxWaitMs: 10_000 },
    );
    await Promise.all([1, 2, 3, 4].map(id));
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('rejects every caller of a failed batch, and later batches still work', async () => {
    let fail = true;
    const f = createBatcher(
      async (xs: number[]) => {
        if (fail) throw new Error('boom');
        return xs;
      },
      { maxSize: 10, maxWaitMs: 1 },
    );
    const results = await Promise.allSettled([f(1), f(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await f(3)).toBe(3);
  });

  it('rejects when run returns the wrong number of results', async () => {
    const f = createBatcher(async () => [], { maxSize: 10, maxWaitMs: 1 });
    await expect(f(1)).rejects.toThrow(/0 results for 1 items/);
  });
});

describe('the semaphore', () => {
  it('never runs more than its size at once, and runs everything', async () => {
    const s = createSemaphore(3);
    let active = 0;
    let peak = 0;
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s.run(async () => {
          peak = Math.max(peak, ++active);
          // Work of uneven length (one to three turns of the event loop), no wall-clock time.
          for (let turn = 0; turn <= i % 3; turn++) await new Promise((r) => setImmediate(r));
          active--;
          done.push(i);
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('frees the slot when the call throws', async () => {
    const s = createSemaphore(1);
    await expect(s.run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await s.run(async () => 42)).toBe(42);
  });
});
