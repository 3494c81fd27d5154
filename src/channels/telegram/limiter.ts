import { randomBytes } from 'node:crypto';
import type { Transformer } from 'grammy';
import { withTimeout } from '#root/lib/timeout.js';
import type { Redis } from '#root/redis.js';
/**
 * Telegram's published limits, kept on our side so that 429 answers stay rare (REFERENCE: about 30
 * messages per second per bot, 1 per second per private chat, 20 per minute per group). Each send
 * reserves the earliest instant that respects all three and waits for it; reservations never
 * block each other more than the limits require (a busy chat does not hold up the others).
 *
 * {@link createTelegramLimiter} keeps them in this process; {@link createRedisTelegramLimiter} in
 * Redis, shared by every process that sends for the bot (what `npm start` uses).
 */
export interface TelegramLimits {
  perSecond: number;
  privateChatIntervalMs: number;
  groupPerMinute: number;
}

/** Telegram's numbers, with a little margin on the per-chat spacing for requests that travel unevenly. */
export const TELEGRAM_LIMITS: TelegramLimits = { perSecond: 30, privateChatIntervalMs: 1_050, groupPerMinute: 20 };

export interface TelegramLimiter {
  /** Waits until a message to `chatId` may go out, and reserves that moment. */
  acquire(chatId: bigint | number | string): Promise<void>;
  /** Telegram said to wait (429 `retry_after`): nothing to that chat, nor from this bot, before then. */
  backOff(chatId: bigint | number | string, seconds: number): void;
}

export function createTelegramLimiter(limits: TelegramLimits = TELEGRAM_LIMITS, now: () => number = Date.now): TelegramLimiter {
  // The bot's budget as slots of 1000/perSecond ms, one message each: never more than perSecond in
  // any second. Taken slots are kept as a set of slot numbers, pruned as time passes.
  const slotMs = Math.ceil(1_000 / limits.perSecond);
  const taken = new Set<number>();
  const nextPrivate = new Map<string, number>();
  const groupTimes = new Map<string, number[]>();
  let botPausedUntil = 0;
  let pruneBefore = 0;

  const prune = (t: number) => {
    const first = Math.floor(t / slotMs);
    if (first - pruneBefore < 1_000) return;
    for (const k of taken) if (k < first) taken.delete(k);
    for (const [chat, at] of nextPrivate) if (at < t) nextPrivate.delete(chat);
    for (const [chat, times] of groupTimes) if (times.at(-1)! < t - 60_000) groupTimes.delete(chat);
    pruneBefore = first;
  };

  const reserve = (chatId: string): number => {
    const t0 = now();
    prune(t0);
    let at = Math.max(t0, botPausedUntil);
    const isGroup = chatId.startsWith('-');
    if (isGroup) {
      const times = groupTimes.get(chatId) ?? [];
      if (times.length >= limits.groupPerMinute) at = Math.max(at, times[times.length - limits.groupPerMinute]! + 60_000);
    } else {
      at = Math.max(at, nextPrivate.get(chatId) ?? 0);
    }
    let k = Math.ceil(at / slotMs);
    while (taken.has(k)) k++;
    taken.add(k);
    at = Math.max(at, k * slotMs);
    if (isGroup) {
      const times = groupTimes.get(chatId) ?? [];
      times.push(at);
      times.sort((a, b) => a - b);
      groupTimes.set(chatId, times.slice(-limits.groupPerMinute));
    } else {
      nextPrivate.set(chatId, at + limits.privateChatIntervalMs);
    }
    return at;
  };

  return {
    async acquire(chatId) {
      const at = reserve(String(chatId));
      const wait = at - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    },
    backOff(chatId, seconds) {
      const until = now() + seconds * 1_000;
      const chat = String(chatId);
      if (chat.startsWith('-')) groupTimes.set(chat, Array.from({ length: limits.groupPerMinute }, () => until - 60_000));
      else nextPrivate.set(chat, Math.max(nextPrivate.get(chat) ?? 0, until));
      // A 429 is also a sign the bot as a whole is over its budget: pause it briefly.
      botPausedUntil = Math.max(botPausedUntil, Math.min(until, now() + 1_000));
    },
  };
}

// Reserves the earliest instant, by Redis's clock, that keeps the bot's budget (a free slot of
// slotMs among those taken by every process), the chat's spacing (private) or window (group), and
// a pause after a 429; returns it and Redis's now (ms). Atomic: two processes never take the
// same slot. KEYS: bot slots (sorted set), bot pause, chat. ARGV: slotMs, group (1/0), private
// interval, group count, group window, a unique member.
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slotMs = tonumber(ARGV[1])
local at = now
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
if pause > at then at = pause end
local group = ARGV[2] == '1'
local n = tonumber(ARGV[4])
local window = tonumber(ARGV[5])
if group then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[3])
  if count >= n then
    local r = redis.call('ZRANGE', KEYS[3], count - n, count - n, 'WITHSCORES')
    local free = tonumber(r[2]) + window
    if free > at then at = free end
  end
else
  local nextAt = tonumber(redis.call('GET', KEYS[3]) or '0')
  if nextAt > at then at = nextAt end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', math.floor(now / slotMs) - 1)
local k = math.ceil(at / slotMs)
while redis.call('ZSCORE', KEYS[1], k) do k = k + 1 end
redis.call('ZADD', KEYS[1], k, k)
if k * slotMs > at then at = k * slotMs end
redis.call('PEXPIRE', KEYS[1], at - now + 60000)
if group then
  redis.call('ZADD', KEYS[3], at, ARGV[6])
  redis.call('PEXPIRE', KEYS[3], at - now + window + 1000)
else
  redis.call('SET', KEYS[3], at + tonumber(ARGV[3]), 'PX', at - now + tonumber(ARGV[3]) + 1000)
end
return { at, now }
`;

// A 429: nothing to the chat before `until`, and the whole bot paused briefly (at most 1 s).
// KEYS: bot pause, chat. ARGV: seconds, group (1/0), group count, group window.
const BACK_OFF = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilAt = now + math.floor(tonumber(ARGV[1]) * 1000)
if ARGV[2] == '1' then
  local window = tonumber(ARGV[4])
  for i = 1, tonumber(ARGV[3]) do redis.call('ZADD', KEYS[2], untilAt - window, 'retry-after:' .. i) end
  redis.call('PEXPIRE', KEYS[2], untilAt - now + window + 1000)
else
  local nextAt = tonumber(redis.call('GET', KEYS[2]) or '0')
  if untilAt > nextAt then redis.call('SET', KEYS[2], untilAt, 'PX', untilAt - now + 1000) end
end
local p = math.min(untilAt, now + 1000)
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if p > cur then redis.call('SET', KEYS[1], p, 'PX', p - now + 1000) end
return untilAt - now
`;

/** The bot's id, the token's part before ":" (not secret: the bot's public id). */
export const telegramBotId = (token: string) => token.split(':')[0] ?? 'bot';

export interface RedisTelegramLimiter extends TelegramLimiter {
  /** Reserves the next instant a message to `chatId` may leave: `at` by Redis's clock (ms), `wait` from now (what `acquire` waits). */
  reserve(chatId: bigint | number | string): Promise<{ at: number; wait: number }>;
}

/**
 * Telegram's limits kept in Redis, so that every process sending for the bot (workers on several
 * hosts, the bot's replies) shares one budget: 30 messages a second per bot, one a second per
 * private chat, 20 a minute per group, and 429 pauses, whichever process sent. Instants come from
 * Redis's clock. `key` names the bot (`<REDIS_PREFIX>:tg-limits:<bot id>`).
 *
 * While Redis does not answer (within `timeoutMs`), this process paces on its own (`fallback`), as
 * a single process would: a send is never held up by Redis, nor let through unpaced.
 */
export function createRedisTelegramLimiter(
  redis: Redis,
  key: string,
  options: { limits?: TelegramLimits; groupWindowMs?: number; timeoutMs?: number; fallback?: TelegramLimiter; onError?: (error: Error) => void } = {},
): RedisTelegramLimiter {
  const limits = options.limits ?? TELEGRAM_LIMITS;
  const window = options.groupWindowMs ?? 60_000;
  const fallback = options.fallback ?? createTelegramLimiter(limits);
  const timeoutMs = options.timeoutMs ?? 1_000;
  const slotMs = Math.ceil(1_000 / limits.perSecond);
  // Members of a group's window must differ between processes and between limiters of one process.
  const self = randomBytes(6).toString('hex');
  let member = 0;
  const chatKey = (chat: string) => `${key}:${chat.startsWith('-') ? 'group' : 'chat'}:${chat}`;
  const within = <T>(p: Promise<T>) => withTimeout(p, timeoutMs, `Redis did not answer within ${timeoutMs} ms`);
  // ioredis's scripts: by SHA (EVALSHA), the text sent again when Redis has forgotten it (a
  // restart, SCRIPT FLUSH). defineCommand adds methods that its types do not know of.
  redis.defineCommand('dondocTelegramReserve', { numberOfKeys: 3, lua: RESERVE });
  redis.defineCommand('dondocTelegramBackOff', { numberOfKeys: 2, lua: BACK_OFF });
  const scripts = redis as unknown as Record<'dondocTelegramReserve' | 'dondocTelegramBackOff', (...args: (string | number)[]) => Promise<unknown>>;
  const reserve = async (chatId: bigint | number | string) => {
    const chat = String(chatId);
    if (redis.status !== 'ready') throw new Error(`redis ${redis.status}`);
    const [at, now] = (await within(
      scripts.dondocTelegramReserve(`${key}:slots`, `${key}:pause`, chatKey(chat), slotMs, chat.startsWith('-') ? 1 : 0, limits.privateChatIntervalMs, limits.groupPerMinute, window, `${self}:${member++}`),
    )) as [number, number];
    return { at, wait: at - now };
  };
  return {
    reserve,
    async acquire(chatId) {
      let wait: number;
      try {
        ({ wait } = await reserve(chatId));
      } catch (error) {
        options.onError?.(error as Error);
        return fallback.acquire(chatId);
      }
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    },
    backOff(chatId, seconds) {
      const chat = String(chatId);
      fallback.backOff(chatId, seconds);
      if (redis.status !== 'ready') return;
      void within(scripts.dondocTelegramBackOff(`${key}:pause`, chatKey(chat), seconds, chat.startsWith('-') ? 1 : 0, limits.groupPerMinute, window)).catch((error: unknown) =>
        options.onError?.(error as Error),
      );
    },
  };
}

/** One limiter per process, shared by the bot's replies and the reminders channel. */
export const sharedTelegramLimiter = createTelegramLimiter();

/**
 * No pacing of our own (TELEGRAM_LIMITS=off), for a Bot API server that enforces no limits (a test
 * server, a benchmark of the pipeline): messages leave as fast as the worker sends them. A 429
 * answer is still waited out (`retry_after`): that chat is paused until then, the bot briefly, as
 * {@link createTelegramLimiter} does.
 */
export function createUnpacedTelegramLimiter(now: () => number = Date.now): TelegramLimiter {
  const chatPausedUntil = new Map<string, number>();
  let botPausedUntil = 0;
  return {
    async acquire(chatId) {
      const chat = String(chatId);
      const t = now();
      const until = Math.max(botPausedUntil, chatPausedUntil.get(chat) ?? 0);
      if (until <= t) {
        chatPausedUntil.delete(chat);
        return;
      }
      await new Promise((r) => setTimeout(r, until - t));
    },
    backOff(chatId, seconds) {
      const until = now() + seconds * 1_000;
      const chat = String(chatId);
      chatPausedUntil.set(chat, Math.max(chatPausedUntil.get(chat) ?? 0, until));
      botPausedUntil = Math.max(botPausedUntil, Math.min(until, now() + 1_000));
    },
  };
}

let unpacedTelegramLimiter: TelegramLimiter | undefined;

/**
 * The limiter of this process (TELEGRAM_LIMITS): Telegram's limits kept on our side (`on`, the
 * default: {@link sharedTelegramLimiter}), or only 429 answers waited out (`off`). Either way one
 * per process, shared by the bot's replies and the reminders channel.
 */
export function processTelegramLimiter(limits: 'on' | 'off' = 'on'): TelegramLimiter {
  return limits === 'off' ? (unpacedTelegramLimiter ??= createUnpacedTelegramLimiter()) : sharedTelegramLimiter;
}

const SENDING = new Set(['sendMessage', 'sendDocument', 'sendPhoto', 'editMessageText', 'editMessageReplyMarkup', 'editMessageCaption', 'copyMessage', 'forwardMessage']);

/**
 * A grammY API transformer: every call that sends to a chat waits for the limiter first (unless
 * the caller paced it already: `pacedByCaller`), and a 429 is waited out (`retry_after`) up to
 * `maxRetries` times — finite, unlike auto-retry's defaults. The last 429 is returned as is.
 */
export function limitTransformer(limiter: TelegramLimiter = sharedTelegramLimiter, options: { maxRetries?: number; pacedByCaller?: boolean } = {}): Transformer {
  const maxRetries = options.maxRetries ?? 3;
  return async (prev, method, payload, signal) => {
    const chat = (payload as { chat_id?: number | string } | undefined)?.chat_id;
    const sending = chat !== undefined && SENDING.has(method);
    for (let attempt = 0; ; attempt++) {
      if (sending && (attempt > 0 || !options.pacedByCaller)) await limiter.acquire(chat);
      const res = await prev(method, payload, signal);
      const retryAfter = res.ok ? undefined : res.parameters?.retry_after;
      if (res.ok || res.error_code !== 429 || retryAfter === undefined || attempt >= maxRetries) return res;
      if (chat !== undefined) limiter.backOff(chat, retryAfter);
      else await new Promise((r) => setTimeout(r, retryAfter * 1_000));
    }
  };
}
