/**
 * Pacing of outgoing Zalo messages, kept on our side so that "429 Quota exceeded" stays rare.
 *
 * Zalo publishes no numbers (docs/channels.md): the defaults are an assumption, deliberately below
 * Telegram's — 10 messages a second per bot, one message a second per chat. Each send reserves the
 * earliest instant that respects both and waits for it; a busy chat does not hold up the others.
 * The limits are per process: with several worker processes sending for one bot, give each a share
 * (`perSecond`); {@link runLimited} waits out the 429s that remain.
 *
 * Self-contained on purpose (it mirrors src/channels/telegram/limiter.ts without sharing code):
 * nothing here knows Zalo's HTTP API.
 */
import { ZALO_MAX_RETRY_AFTER_SECONDS } from '../send-bounds.js';

export interface ZaloLimits {
  /** Messages per second the whole bot may send. */
  perSecond: number;
  /** Minimum spacing between two messages to the same chat, in ms. */
  perChatIntervalMs: number;
}

/**
 * Our assumption, not Zalo's published numbers (there are none): see docs/channels.md. One message
 * a second per chat, with 50 ms of margin for requests that travel unevenly (as for Telegram).
 */
export const ZALO_LIMITS: ZaloLimits = { perSecond: 10, perChatIntervalMs: 1_050 };

export interface ZaloLimiter {
  /** Waits until a message to `chatId` may go out, and reserves that moment. */
  acquire(chatId: string): Promise<void>;
  /**
   * Zalo said "too many" (429), with a hint in seconds or not: nothing to that chat before then,
   * and — since Zalo's 429 is a quota of the bot ("Quota exceeded") — nothing from the bot either.
   */
  backOff(chatId: string, seconds: number): void;
}

export function createZaloLimiter(limits: Partial<ZaloLimits> = {}, now: () => number = Date.now): ZaloLimiter {
  const { perSecond, perChatIntervalMs } = { ...ZALO_LIMITS, ...limits };
  if (!(perSecond > 0) || !(perChatIntervalMs >= 0))
    throw new RangeError('createZaloLimiter: perSecond must be > 0 and perChatIntervalMs ≥ 0');
  // The bot's budget as slots of 1000/perSecond ms, one message each: never more than perSecond
  // in any second. Taken slots are a set of slot numbers, pruned as time passes.
  const slotMs = Math.ceil(1_000 / perSecond);
  const taken = new Set<number>();
  const nextForChat = new Map<string, number>();
  let botPausedUntil = 0;
  let prunedAt = 0;

  const prune = (t: number) => {
    if (t - prunedAt < 10_000) return;
    const first = Math.floor(t / slotMs);
    for (const k of taken) if (k < first) taken.delete(k);
    for (const [chat, at] of nextForChat) if (at < t) nextForChat.delete(chat);
    prunedAt = t;
  };

  const reserve = (chatId: string): number => {
    const t0 = now();
    prune(t0);
    const at = Math.max(t0, botPausedUntil, nextForChat.get(chatId) ?? 0);
    let k = Math.ceil(at / slotMs);
    while (taken.has(k)) k++;
    taken.add(k);
    const slot = Math.max(at, k * slotMs);
    nextForChat.set(chatId, slot + perChatIntervalMs);
    return slot;
  };

  return {
    async acquire(chatId) {
      const wait = reserve(chatId) - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    },
    backOff(chatId, seconds) {
      const until = now() + Math.max(0, seconds) * 1_000;
      nextForChat.set(chatId, Math.max(nextForChat.get(chatId) ?? 0, until));
      botPausedUntil = Math.max(botPausedUntil, until);
    },
  };
}

/** One limiter per process, shared by the bot's replies and the reminders channel. */
export const sharedZaloLimiter = createZaloLimiter();

/** What {@link runLimited} needs to know of a failure: `undefined` when it is not a rate limit. */
export type RateLimitOf = (error: unknown) => { retryAfterSeconds: number | undefined } | undefined;

export interface RunLimitedOptions {
  /** 429 answers waited out before the last one is thrown (default 3): finite, always. */
  maxRetries?: number;
  /** The caller already took this call's first turn (`limiter.acquire`), e.g. in a channel's `pace`. */
  pacedByCaller?: boolean;
  /** Wait when a 429 comes without a hint: this many seconds, doubled each retry (default 1). */
  fallbackRetryAfterSeconds?: number;
  /** A hint longer than this (default 30 s) is not waited out here: the 429 is thrown at once. */
  maxRetryAfterSeconds?: number;
}

/**
 * Runs one call to `chatId` under the limiter: waits for a turn, and when the call fails with a
 * rate limit (as `rateLimitOf` recognises it), tells the limiter to back off for the hint (or an
 * exponential fallback when Zalo gives none), takes a new turn and tries again — at most
 * `maxRetries` times; the last failure, or any other one, is thrown as is.
 */
export async function runLimited<T>(
  limiter: ZaloLimiter,
  chatId: string,
  call: () => Promise<T>,
  rateLimitOf: RateLimitOf,
  options: RunLimitedOptions = {},
): Promise<T> {
  const maxRetries = options.maxRetries ?? 3;
  const fallback = options.fallbackRetryAfterSeconds ?? 1;
  const maxWait = options.maxRetryAfterSeconds ?? ZALO_MAX_RETRY_AFTER_SECONDS;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0 || !options.pacedByCaller) await limiter.acquire(chatId);
    try {
      return await call();
    } catch (error) {
      const limited = rateLimitOf(error);
      if (!limited) throw error;
      const seconds = limited.retryAfterSeconds ?? fallback * 2 ** attempt;
      limiter.backOff(chatId, Math.min(seconds, maxWait));
      if (attempt >= maxRetries || seconds > maxWait) throw error;
    }
  }
}

const processLimiters = new Map<number, ZaloLimiter>();

/** The process's one limiter for a bot budget of `perSecond` (reminders and the bot's replies share it). */
export function processZaloLimiter(perSecond: number = ZALO_LIMITS.perSecond): ZaloLimiter {
  if (perSecond === ZALO_LIMITS.perSecond) return sharedZaloLimiter;
  let limiter = processLimiters.get(perSecond);
  if (!limiter) processLimiters.set(perSecond, (limiter = createZaloLimiter({ perSecond })));
  return limiter;
}
