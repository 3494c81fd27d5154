import { describe, expect, it } from 'vitest';
import { boundedMemo } from '#root/lib/bounded-memo.js';

describe('boundedMemo', () => {
  it('computes a key once, keeps null, and starts again empty at its bound', () => {
    const memo = boundedMemo<string, number | null>(3);
    let calls = 0;
    const get = (k: string, v: number | null) =>
      memo(k, () => {
        calls++;
        return v;
      });
    expect(get('a', 1)).toBe(1);
    expect(get('a', 99)).toBe(1);
    expect(get('n', null)).toBeNull();
    expect(get('n', 5)).toBeNull();
    expect(calls).toBe(2);
    get('b', 2);
    expect(calls).toBe(3);
    // A fourth key: the memo starts again empty, so 'a' is computed anew.
    get('c', 3);
    expect(get('a', 10)).toBe(10);
    expect(calls).toBe(5);
  });

  it('keeps nothing when the computation throws', () => {
    const memo = boundedMemo<string, number>(10);
    expect(() =>
      memo('x', () => {
        throw new RangeError('bad');
      }),
    ).toThrow(RangeError);
    expect(memo('x', () => 7)).toBe(7);
  });
});
