import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createChannels } from '#root/channels/index.js';
import {
  createTelegramLimiter,
  createUnpacedTelegramLimiter,
  departGapOf,
  TELEGRAM_LIMITS,
  type TelegramLimiter,
} from '#root/channels/telegram/limiter.js';
import type { Recipient } from '#root/channels/types.js';
import { loadConfig } from '#root/config.js';
import { createLogger } from '#root/logger.js';

/** When each acquire resolves, in fake milliseconds from the start. */
async function times(
  acquires: (bigint | number)[],
  backOff?: (l: TelegramLimiter) => void,
  make: () => TelegramLimiter = createTelegramLimiter,
): Promise<number[]> {
  const start = Date.now();
  const limiter = make();
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

  it('counts a request from when it leaves until a window after its answer: a 31st waits while 30 are unanswered', async () => {
    const limiter = createTelegramLimiter();
    const start = Date.now();
    // Thirty requests leave as soon as they may (their slots long passed: a starved process), none
    // answered yet.
    const departing = Promise.all(Array.from({ length: 30 }, (_, i) => limiter.depart(3_000 + i)));
    await vi.advanceTimersByTimeAsync(1_000);
    const answered = await departing;
    let leftAt: number | undefined;
    const late = limiter.depart(3_100).then((done) => {
      leftAt = Date.now() - start;
      return done;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(leftAt).toBeUndefined();
    // The first answer comes at 2 s: Telegram received that request at the latest then.
    answered[0]!();
    await vi.advanceTimersByTimeAsync(5_000);
    (await late)();
    expect(leftAt).toBeGreaterThanOrEqual(2_000 + 1_005);
    expect(leftAt).toBeLessThan(2_000 + 1_005 + 100);
  });

  it('does not poll while the answers it waits for are in flight: no room comes before a window after them', async () => {
    let looks = 0;
    const limiter = createTelegramLimiter(TELEGRAM_LIMITS, () => {
      looks++;
      return Date.now();
    });
    const departing = Promise.all(Array.from({ length: 30 }, (_, i) => limiter.depart(9_000 + i)));
    await vi.advanceTimersByTimeAsync(1_000);
    const answered = await departing;
    looks = 0;
    let left = false;
    const late = limiter.depart(9_100).then((done) => ((left = true), done));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(left).toBe(false);
    // It looked about once a window (1,005 ms), not once a slot (34 ms: 150 times in 5 s).
    expect(looks).toBeLessThan(20);
    for (const done of answered) done();
    await vi.advanceTimersByTimeAsync(2_000);
    (await late)();
    expect(left).toBe(true);
  });

  it('lets requests freed at the same moment leave spread out, a half slot apart', async () => {
    const limiter = createTelegramLimiter();
    const start = Date.now();
    const left: number[] = [];
    const all = Promise.all(
      Array.from({ length: 30 }, (_, i) => limiter.depart(4_000 + i).then(() => left.push(Date.now() - start))),
    );
    await vi.advanceTimersByTimeAsync(2_000);
    await all;
    left.sort((a, b) => a - b);
    for (let i = 1; i < left.length; i++)
      expect(left[i]! - left[i - 1]!).toBeGreaterThanOrEqual(departGapOf(TELEGRAM_LIMITS));
    expect(left.at(-1)).toBeLessThan(30 * departGapOf(TELEGRAM_LIMITS) + 50);
  });

  it('holds a request back only until there is room, so that the sends behind keep their slots', async () => {
    // Answers 25 ms after a request leaves: more than a slot's 34 ms × 30 leaves beyond the window's
    // 1,005 ms, so that each request waits, as it leaves, for the answer of the one 30 before it.
    // It used to take the next free slot of the schedule for that, pushing every later send back by
    // one: the 300th left at 10.5 s. Counted from leaving to answer, no 31 requests within any
    // second either way.
    const limiter = createTelegramLimiter();
    const start = Date.now();
    const spans: { left: number; answered: number }[] = [];
    const sends = Array.from({ length: 300 }, async (_, i) => {
      await limiter.acquire(6_000 + i);
      const done = await limiter.depart(6_000 + i);
      const left = Date.now() - start;
      await new Promise((r) => setTimeout(r, 25));
      done();
      spans.push({ left, answered: Date.now() - start });
    });
    await vi.advanceTimersByTimeAsync(30_000);
    await Promise.all(sends);
    const last = Math.max(...spans.map((s) => s.left));
    // 30 per (1,005 + 25) ms at most: 29.1 a second, the first 30 at once.
    expect(last).toBeLessThan(((300 - 30) * 1_030) / 30 + 1_000);
    // Wherever Telegram received each (between leaving and its answer), at most 30 in a second:
    // for any second, the requests that must have arrived within it (left and answered inside).
    for (const s of spans) {
      const within = spans.filter((u) => u.left >= s.left && u.answered < s.left + 1_000).length;
      expect(within).toBeLessThanOrEqual(30);
    }
    // And those that may have: their spans overlap a second that starts as the one before it ended.
    const sorted = [...spans].sort((a, b) => a.left - b.left);
    for (let i = 30; i < sorted.length; i++)
      expect(sorted[i]!.left - sorted[i - 30]!.answered).toBeGreaterThanOrEqual(1_000);
  });

  it('counts the requests the shared limiter let leave, so that taking over from it is no burst', async () => {
    const limiter = createTelegramLimiter();
    const start = Date.now();
    // Thirty requests left by Redis's count, answered at once; then Redis stops answering.
    for (let i = 0; i < 30; i++) limiter.note!(5_000 + i)();
    let leftAt: number | undefined;
    const next = limiter.depart(5_100).then((done) => {
      leftAt = Date.now() - start;
      return done;
    });
    await vi.advanceTimersByTimeAsync(3_000);
    (await next)();
    expect(leftAt).toBeGreaterThanOrEqual(1_005);
  });

  it('spaces a private chat by when its last request was answered, not by when it was reserved', async () => {
    const limiter = createTelegramLimiter();
    const start = Date.now();
    const send = () =>
      limiter
        .acquire(77)
        .then(() => limiter.depart(77))
        .then((done) => ({ done, at: Date.now() - start }));
    const first = send();
    await vi.advanceTimersByTimeAsync(100);
    // The first answer takes 3 s (a slow network); the second message was reserved 1,050 ms after the first.
    const second = send();
    await vi.advanceTimersByTimeAsync(2_900);
    (await first).done();
    await vi.advanceTimersByTimeAsync(5_000);
    const { done, at } = await second;
    done();
    expect(at).toBeGreaterThanOrEqual(3_000 + 1_050);
  });

  it('obeys retry_after for the chat that got a 429', async () => {
    const ts = await times([42, 43], (l) => l.backOff(42, 5));
    expect(ts[0]).toBeGreaterThanOrEqual(5_000);
    expect(ts[1]).toBeLessThan(1_100);
  });
});

describe('TELEGRAM_LIMITS=off', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('paces nothing of its own, and still waits out a 429 for that chat', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const burst = await times(
      Array.from({ length: 100 }, () => 7),
      undefined,
      createUnpacedTelegramLimiter,
    );
    expect(Math.max(...burst)).toBe(0);
    const ts = await times([42, 43, 43], (l) => l.backOff(42, 5), createUnpacedTelegramLimiter);
    expect(ts[0]).toBeGreaterThanOrEqual(5_000);
    // The bot as a whole pauses a moment after a 429, as with the limits on; other chats then go at once.
    expect(ts[1]).toBeLessThanOrEqual(1_000);
    expect(ts[2]).toBe(ts[1]);
  });

  it('is what the Telegram channel paces by when the configuration says off', async () => {
    const to = (chat: number): Recipient => ({
      contactId: 'c',
      name: 'n',
      locale: 'vi',
      email: null,
      telegramChatId: BigInt(chat),
      zaloUserId: null,
    });
    const paceTwice = async (limits: string, chat: number) => {
      const config = loadConfig({
        TELEGRAM_BOT_TOKEN: '123456:TEST-token_abcdefghijklmnop',
        TELEGRAM_API_ROOT: 'http://127.0.0.1:9',
        TELEGRAM_LIMITS: limits,
      });
      const channel = (await createChannels(config, createLogger({ level: 'silent' }))).telegram;
      if (!channel || channel.transactional) throw new Error('no Telegram channel');
      const t0 = Date.now();
      await channel.pace?.(to(chat));
      await channel.pace?.(to(chat));
      return Date.now() - t0;
    };
    expect(await paceTwice('off', 1_001)).toBeLessThan(500);
    // With the limits on, a private chat's second message waits a second.
    expect(await paceTwice('on', 1_002)).toBeGreaterThanOrEqual(1_000);
  });
});
