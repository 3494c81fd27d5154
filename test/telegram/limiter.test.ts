import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTelegramLimiter } from '#root/channels/telegram/limiter.js';

/** When each acquire resolves, in fake milliseconds from the start. */
async function times(acquires: (bigint | number)[], backOff?: (l: ReturnType<typeof createTelegramLimiter>) => void): Promise<number[]> {
  const start = Date.now();
  const limiter = createTelegramLimiter();
  backOff?.(limiter);
  const out: number[] = new Array<number>(acquires.length);
  const all = Promise.all(acquires.map((chat, i) => limiter.acquire(chat).then(() => (out[i] = Date.now() - start))));
  await vi.advanceTimersByTimeAsync(200_000);
  await all;
  return out;
}

const maxInAnySecond = (ts: number[]) => Math.max(...ts.map((t) => ts.filter((u) => u >= t && u < t + 1_000).length));

describe('the Telegram limiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets at most 30 messages a second leave the bot, and no fewer than it may', async () => {
    const ts = await times(Array.from({ length: 90 }, (_, i) => 1000 + i));
    expect(maxInAnySecond(ts)).toBeLessThanOrEqual(30);
    expect(Math.max(...ts)).toBeLessThan(3_100);
  });

  it('spaces messages to one private chat a second apart, without holding up other chats', async () => {
    const ts = await times([7, 7, 7, 8, 9]);
    expect(ts[1]! - ts[0]!).toBeGreaterThanOrEqual(1_000);
    expect(ts[2]! - ts[1]!).toBeGreaterThanOrEqual(1_000);
    expect(ts[3]).toBeLessThan(200);
    expect(ts[4]).toBeLessThan(200);
  });

  it('allows 20 messages a minute to a group, the 21st a minute after the first', async () => {
    const ts = await times(Array.from({ length: 21 }, () => -100123));
    expect(ts.slice(0, 20).every((t) => t < 1_000)).toBe(true);
    expect(ts[20]! - ts[0]!).toBeGreaterThanOrEqual(60_000);
  });

  it('obeys retry_after for the chat that got a 429', async () => {
    const ts = await times([42, 43], (l) => l.backOff(42, 5));
    expect(ts[0]).toBeGreaterThanOrEqual(5_000);
    expect(ts[1]).toBeLessThan(1_100);
  });
});
