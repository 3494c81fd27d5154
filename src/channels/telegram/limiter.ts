import { randomBytes } from 'node:crypto';
import type { Transformer } from 'grammy';
import { TELEGRAM_DEPART_MAX_WAIT_MS } from '#root/channels/send-bounds.js';
import { withTimeout } from '#root/lib/timeout.js';
import type { Redis } from '#root/redis.js';
/**
 * Telegram's published limits, kept on our side so that 429 answers stay rare (REFERENCE: about 30
 * messages per second per bot, 1 per second per private chat, 20 per minute per group). Each send
 * reserves the earliest instant that respects all three and waits for it; reservations never
 * block each other more than the limits require (a busy chat does not hold up the others).
 *
 * Telegram counts requests as they arrive, and a request may leave well after its reserved slot
 * (after the claim's round trip to the database, after the process was starved of CPU) and travel
 * for a while. Two late sends on top of thirty on time made 31 and 32 in one second. So the limits
 * are checked again as the request leaves (`depart`), over the requests themselves: one counts
 * from the moment it leaves until a window after its answer came (still in flight, it counts) —
 * Telegram received it somewhere in between. No 31 requests can then arrive within one second,
 * however unevenly they leave or travel, and a process starved of CPU cannot burst to catch up.
 * The window is Telegram's second and {@link WINDOW_MARGIN_MS} (the answer is seen after it came,
 * so that is margin enough); the slots spread the sends evenly, 34 ms apart (29.4 a second).
 *
 * Why: take 31 requests that Telegram received within one second, (w, w + 1000], and the last of
 * them to leave, at `t` ≤ its arrival ≤ w + 1000. The 30 others left before `t`, and each was
 * answered after it arrived, after w > t − 1005: when the last left, each was still in flight or
 * answered within the window — 30 counted, so it could not have left. The rule needs nothing of the
 * slots: a request held back as it leaves waits for the very instant there is room (not for a slot
 * of the schedule, which would push every later send back by one), and departures keep
 * {@link departGapOf} apart, so that requests freed together (a process starved of CPU sees thirty
 * answers at once) do not leave at one instant either.
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

/** The bot's slot length (ms) for these limits: 34 ms for 30 a second. */
export const slotMsOf = (limits: TelegramLimits) => Math.ceil(1_000 / limits.perSecond);

/**
 * The least time (ms) between two requests of the bot leaving, whatever the window allows: half a
 * slot, 17 ms. Sends on schedule are a slot apart; one held back by the window may then follow the
 * one before it closer, and catch up on its slot, but a crowd freed at once leaves spread out.
 */
export const departGapOf = (limits: TelegramLimits) => Math.floor(slotMsOf(limits) / 2);

/**
 * Beyond Telegram's second, how long a request keeps counting after its answer: the answer is
 * timed when it is seen (after Telegram received the request), and Redis's clock and ours count
 * whole milliseconds.
 */
export const WINDOW_MARGIN_MS = 5;
/** The bot's window: `perSecond` requests per this many ms, each counted until this long after its answer. */
const BOT_WINDOW_MS = 1_000 + WINDOW_MARGIN_MS;

/**
 * A request still unanswered after this long counts as answered then (its answer is lost, or the
 * process that sent it died): it no longer holds a place in the windows. Beyond grammY's timeout
 * of the reminders channel (TELEGRAM_TIMEOUT_SECONDS, 30 s by default).
 */
const IN_FLIGHT_MS = 60_000;
/**
 * How long `depart` waits for room before the request leaves anyway (nothing waits forever). The
 * reminders channel departs holding its claim: this wait and the request's timeout stay inside the
 * claim's lease, less the time to record the answer (src/config.ts checks it).
 */
const DEPART_MAX_WAIT_MS = TELEGRAM_DEPART_MAX_WAIT_MS;

export interface TelegramLimiter {
  /** Waits until a message to `chatId` may go out, and reserves that moment. */
  acquire(chatId: bigint | number | string): Promise<void>;
  /**
   * Right before the request to `chatId` leaves (after `acquire`): waits until the request may
   * leave by the requests that left before it — `perSecond` per window of `perSecond` slots for the
   * bot, the chat's spacing or group window, a 429 pause — each counted from when it left until
   * a window after its answer. Returns `answered`, to call once the answer (or the failure) came.
   */
  depart(chatId: bigint | number | string): Promise<() => void>;
  /** Telegram said to wait (429 `retry_after`): nothing to that chat, nor from this bot, before then. */
  backOff(chatId: bigint | number | string, seconds: number): void;
  /**
   * Counts a request to `chatId` that another limiter let leave now (the shared one in Redis), so
   * that this one knows of it if it has to take over; returns `answered`, as `depart` does.
   */
  note?(chatId: bigint | number | string): () => void;
}

/**
 * Requests counted in a window: each from its departure until `window` after its answer (`end`,
 * Infinity while in flight). `free(t)`: the earliest instant from `t` on that one more may leave —
 * or, while the oldest that must make room has not ended (in flight), `t + window`: it ends at `t`
 * at the earliest, so there is no room before then and nothing to look at again sooner (a waiter
 * does not poll while answers are awaited).
 */
function createWindow(n: number, window: number, now: () => number) {
  let entries: { left: number; end: number }[] = [];
  const endOf = (e: { left: number; end: number }) => Math.min(e.end, e.left + IN_FLIGHT_MS);
  return {
    free(t: number): number {
      entries = entries.filter((e) => endOf(e) > t - window);
      if (entries.length < n) return t;
      const ends = entries.map(endOf).sort((a, b) => a - b);
      const end = ends[entries.length - n]!;
      return end > t ? t + window : end + window;
    },
    /** Counts a request leaving at `t`; returns the function that records its answer. */
    add(t: number): () => void {
      const entry = { left: t, end: Infinity };
      entries.push(entry);
      return () => {
        entry.end = Math.min(entry.end, now());
      };
    },
    /** Nothing more before `until` (a 429). */
    block(until: number) {
      for (let i = 0; i < n; i++) entries.push({ left: until - window, end: until - window });
    },
    get empty() {
      return entries.length === 0;
    },
  };
}

export function createTelegramLimiter(
  limits: TelegramLimits = TELEGRAM_LIMITS,
  now: () => number = Date.now,
): TelegramLimiter {
  // The bot's budget as slots of slotMs, one message each: never more than perSecond in a window
  // of perSecond slots. Taken slots are kept as a set of slot numbers, pruned as time passes.
  const slotMs = slotMsOf(limits);
  const windowMs = BOT_WINDOW_MS;
  const taken = new Set<number>();
  const nextPrivate = new Map<string, number>();
  const groupTimes = new Map<string, number[]>();
  // The requests themselves (see createWindow): the bot's, and each chat's.
  const botSent = createWindow(limits.perSecond, windowMs, now);
  const chatSent = new Map<string, ReturnType<typeof createWindow>>();
  const chatWindow = (chat: string) => {
    let w = chatSent.get(chat);
    if (!w)
      chatSent.set(
        chat,
        (w = chat.startsWith('-')
          ? createWindow(limits.groupPerMinute, 60_000, now)
          : createWindow(1, limits.privateChatIntervalMs, now)),
      );
    return w;
  };
  let botPausedUntil = 0;
  let pruneBefore = 0;
  const departGap = departGapOf(limits);
  let lastDeparture = -Infinity;

  const prune = (t: number) => {
    const first = Math.floor(t / slotMs);
    if (first - pruneBefore < 1_000) return;
    for (const k of taken) if (k < first) taken.delete(k);
    for (const [chat, at] of nextPrivate) if (at < t) nextPrivate.delete(chat);
    for (const [chat, times] of groupTimes) if (times.at(-1)! < t - 60_000) groupTimes.delete(chat);
    for (const [chat, w] of chatSent) if (w.free(t) === t && w.empty) chatSent.delete(chat);
    botSent.free(t); // drops the requests long answered
    pruneBefore = first;
  };

  /** The bot's first free slot at or after `at`, taken; its instant. */
  const take = (at: number): number => {
    let k = Math.ceil(at / slotMs);
    while (taken.has(k)) k++;
    taken.add(k);
    return Math.max(at, k * slotMs);
  };

  const reserve = (chatId: string): number => {
    const t0 = now();
    prune(t0);
    let at = Math.max(t0, botPausedUntil);
    const isGroup = chatId.startsWith('-');
    if (isGroup) {
      const times = groupTimes.get(chatId) ?? [];
      if (times.length >= limits.groupPerMinute)
        at = Math.max(at, times[times.length - limits.groupPerMinute]! + 60_000);
    } else {
      at = Math.max(at, nextPrivate.get(chatId) ?? 0);
    }
    at = take(at);
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

  const wait = async (at: number) => {
    const ms = at - now();
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  };

  return {
    async acquire(chatId) {
      await wait(reserve(String(chatId)));
    },
    async depart(chatId) {
      const chat = String(chatId);
      const chatW = chatWindow(chat);
      const giveUp = now() + DEPART_MAX_WAIT_MS;
      for (;;) {
        const t = now();
        const at = Math.max(botPausedUntil, lastDeparture + departGap, botSent.free(t), chatW.free(t));
        if (at <= t || t >= giveUp) {
          lastDeparture = t;
          const bot = botSent.add(t);
          const own = chatW.add(t);
          return () => {
            bot();
            own();
          };
        }
        // Until there is room (or, while the request that must make room is in flight, a slot's
        // time to look again): no slot taken, so the schedule of the sends behind is not pushed back.
        if (!chat.startsWith('-'))
          nextPrivate.set(chat, Math.max(nextPrivate.get(chat) ?? 0, at + limits.privateChatIntervalMs));
        await wait(at);
      }
    },
    note(chatId) {
      const t = now();
      prune(t);
      lastDeparture = Math.max(lastDeparture, t);
      const bot = botSent.add(t);
      const own = chatWindow(String(chatId)).add(t);
      return () => {
        bot();
        own();
      };
    },
    backOff(chatId, seconds) {
      const until = now() + seconds * 1_000;
      const chat = String(chatId);
      if (chat.startsWith('-')) {
        groupTimes.set(
          chat,
          Array.from({ length: limits.groupPerMinute }, () => until - 60_000),
        );
      } else {
        nextPrivate.set(chat, Math.max(nextPrivate.get(chat) ?? 0, until));
      }
      chatWindow(chat).block(until);
      // A 429 is also a sign the bot as a whole is over its budget: pause it briefly.
      botPausedUntil = Math.max(botPausedUntil, Math.min(until, now() + 1_000));
    },
  };
}

// Lua shared by the scripts: Redis's now (ms); and (TAKE) the bot's first free slot at or after
// `at` (KEYS[1]: the taken slots, a sorted set of slot numbers), taken; its instant.
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;
const TAKE = `${NOW}
local function take(at, slotMs)
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', math.floor(now / slotMs) - 1)
  local k = math.ceil(at / slotMs)
  while redis.call('ZSCORE', KEYS[1], k) do k = k + 1 end
  redis.call('ZADD', KEYS[1], k, k)
  if k * slotMs > at then at = k * slotMs end
  redis.call('PEXPIRE', KEYS[1], at - now + 60000)
  return at
end
`;

// Reserves the earliest instant, by Redis's clock, that keeps the bot's budget (a free slot of
// slotMs among those taken by every process), the chat's spacing (private) or window (group), and
// a pause after a 429; returns it and Redis's now (ms). Atomic: two processes never take the
// same slot. KEYS: bot slots (sorted set), bot pause, chat. ARGV: slotMs, group (1/0), private
// interval, group count, group window, a unique member.
const RESERVE = `${TAKE}
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
at = take(at, slotMs)
if group then
  redis.call('ZADD', KEYS[3], at, ARGV[6])
  redis.call('PEXPIRE', KEYS[3], at - now + window + 1000)
else
  redis.call('SET', KEYS[3], at + tonumber(ARGV[3]), 'PX', at - now + tonumber(ARGV[3]) + 1000)
end
return { at, now }
`;

// Lua shared by DEPART and BACK_OFF: a window of requests as a sorted set, each member scored by
// its end (its answer; while in flight, its departure + IN_FLIGHT_MS). room(key, n, window): the
// earliest instant one more may leave — now; a window after the end of the oldest that must make
// room; or, while that one has not ended (in flight), a window after now (no room before then: it
// ends now at the earliest, so a waiter does not poll while answers are awaited).
const WINDOW = `
local function room(key, n, window)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count < n then return now end
  local r = redis.call('ZRANGE', key, count - n, count - n, 'WITHSCORES')
  local ends = tonumber(r[2])
  if ends > now then return now + window end
  return ends + window
end
`;

// As a request leaves, by Redis's clock: if the requests that left before it leave room — the
// bot's (KEYS[4]: perSecond per window of perSecond slots), the chat's (KEYS[5]: one per private
// interval, or the group's count per window) — the bot's last request left at least the gap
// before (KEYS[6]) and the bot is not paused, or `force`: adds it to both windows, in flight, and
// returns { 0, now }. Otherwise returns { the instant there will be room, now } (a private chat's
// next is planned after it), taking no slot: the schedule of the sends behind is not pushed back.
// KEYS: bot slots, bot pause, chat, bot window, chat window, bot's last departure. ARGV: slotMs,
// perSecond, group (1/0), private interval, group count, group window, a unique member, force
// (1/0), in-flight ms, the bot's window (ms), the gap between departures (ms).
const DEPART = `${NOW}${WINDOW}
local slotMs = tonumber(ARGV[1])
local perSecond = tonumber(ARGV[2])
local botWindow = tonumber(ARGV[10])
local group = ARGV[3] == '1'
local interval = tonumber(ARGV[4])
local n, window = 1, interval
if group then n, window = tonumber(ARGV[5]), tonumber(ARGV[6]) end
local at = tonumber(redis.call('GET', KEYS[2]) or '0')
local bot = room(KEYS[4], perSecond, botWindow)
if bot > at then at = bot end
local chat = room(KEYS[5], n, window)
if chat > at then at = chat end
local gap = tonumber(ARGV[11])
local last = tonumber(redis.call('GET', KEYS[6]) or '0')
if last + gap > at then at = last + gap end
if at <= now or ARGV[8] == '1' then
  local flight = tonumber(ARGV[9])
  redis.call('ZADD', KEYS[4], now + flight, ARGV[7])
  redis.call('PEXPIRE', KEYS[4], flight + botWindow + 1000)
  redis.call('ZADD', KEYS[5], now + flight, ARGV[7])
  redis.call('PEXPIRE', KEYS[5], flight + window + 1000)
  redis.call('SET', KEYS[6], now, 'PX', gap + 1000)
  return { 0, now }
end
if not group then
  local nextAt = tonumber(redis.call('GET', KEYS[3]) or '0')
  if at + interval > nextAt then redis.call('SET', KEYS[3], at + interval, 'PX', at - now + interval + 1000) end
end
return { at, now }
`;

// A request's answer came: it ends, in the bot's and the chat's windows (if still there), now or
// `elapsed` after it left (its score, while in flight, is when it left + the in-flight time),
// whichever is earlier: the answer came at most `elapsed` after the depart script ran, by the
// sender's clock, which a busy sender sees sooner than this script reaches Redis.
// KEYS: bot window, chat window. ARGV: member, elapsed (ms), in-flight ms.
const ANSWERED = `${NOW}
local ends = now
local inFlight = redis.call('ZSCORE', KEYS[1], ARGV[1])
if inFlight then
  local bound = tonumber(inFlight) - tonumber(ARGV[3]) + tonumber(ARGV[2])
  if bound < ends then ends = bound end
end
redis.call('ZADD', KEYS[1], 'XX', 'LT', ends, ARGV[1])
redis.call('ZADD', KEYS[2], 'XX', 'LT', ends, ARGV[1])
return ends
`;

// A 429: nothing to the chat before `until`, and the whole bot paused briefly (at most 1 s).
// KEYS: bot pause, chat, chat window. ARGV: seconds, group (1/0), group count, group window,
// private interval.
const BACK_OFF = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilAt = now + math.floor(tonumber(ARGV[1]) * 1000)
if ARGV[2] == '1' then
  local window = tonumber(ARGV[4])
  for i = 1, tonumber(ARGV[3]) do
    redis.call('ZADD', KEYS[2], untilAt - window, 'retry-after:' .. i)
    redis.call('ZADD', KEYS[3], untilAt - window, 'retry-after:' .. i)
  end
  redis.call('PEXPIRE', KEYS[2], untilAt - now + window + 1000)
  redis.call('PEXPIRE', KEYS[3], untilAt - now + window + 1000)
else
  local nextAt = tonumber(redis.call('GET', KEYS[2]) or '0')
  if untilAt > nextAt then redis.call('SET', KEYS[2], untilAt, 'PX', untilAt - now + 1000) end
  local interval = tonumber(ARGV[5])
  redis.call('ZADD', KEYS[3], untilAt - interval, 'retry-after')
  redis.call('PEXPIRE', KEYS[3], untilAt - now + 1000)
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
  options: {
    limits?: TelegramLimits;
    groupWindowMs?: number;
    timeoutMs?: number;
    fallback?: TelegramLimiter;
    onError?: (error: Error) => void;
  } = {},
): RedisTelegramLimiter {
  const limits = options.limits ?? TELEGRAM_LIMITS;
  const window = options.groupWindowMs ?? 60_000;
  const fallback = options.fallback ?? createTelegramLimiter(limits);
  const timeoutMs = options.timeoutMs ?? 1_000;
  const slotMs = slotMsOf(limits);
  const gap = departGapOf(limits);
  let lastWake = -Infinity;
  // Members of a group's window must differ between processes and between limiters of one process.
  const self = randomBytes(6).toString('hex');
  let member = 0;
  const chatKey = (chat: string) => `${key}:${chat.startsWith('-') ? 'group' : 'chat'}:${chat}`;
  const group = (chat: string) => (chat.startsWith('-') ? 1 : 0);
  const within = <T>(p: Promise<T>) => withTimeout(p, timeoutMs, `Redis did not answer within ${timeoutMs} ms`);
  // ioredis's scripts: by SHA (EVALSHA), the text sent again when Redis has forgotten it (a
  // restart, SCRIPT FLUSH). defineCommand adds methods that its types do not know of.
  redis.defineCommand('dondocTelegramReserve', { numberOfKeys: 3, lua: RESERVE });
  redis.defineCommand('dondocTelegramDepart', { numberOfKeys: 6, lua: DEPART });
  redis.defineCommand('dondocTelegramAnswered', { numberOfKeys: 2, lua: ANSWERED });
  redis.defineCommand('dondocTelegramBackOff', { numberOfKeys: 3, lua: BACK_OFF });
  type Script = 'dondocTelegramReserve' | 'dondocTelegramDepart' | 'dondocTelegramAnswered' | 'dondocTelegramBackOff';
  const scripts = redis as unknown as Record<Script, (...args: (string | number)[]) => Promise<unknown>>;
  const reserve = async (chatId: bigint | number | string) => {
    const chat = String(chatId);
    if (redis.status !== 'ready') throw new Error(`redis ${redis.status}`);
    const [at, now] = (await within(
      scripts.dondocTelegramReserve(
        `${key}:slots`,
        `${key}:pause`,
        chatKey(chat),
        slotMs,
        group(chat),
        limits.privateChatIntervalMs,
        limits.groupPerMinute,
        window,
        `${self}:${member++}`,
      ),
    )) as [number, number];
    return { at, wait: at - now };
  };
  /** This request counted as leaving now (null), or the instant to ask again (by Redis's clock) and the wait until it. */
  const departNow = async (chat: string, m: string, force: boolean) => {
    if (redis.status !== 'ready') throw new Error(`redis ${redis.status}`);
    const [at, now] = (await within(
      scripts.dondocTelegramDepart(
        `${key}:slots`,
        `${key}:pause`,
        chatKey(chat),
        `${key}:sent`,
        `${chatKey(chat)}:sent`,
        `${key}:departed`,
        slotMs,
        limits.perSecond,
        group(chat),
        limits.privateChatIntervalMs,
        limits.groupPerMinute,
        window,
        m,
        force ? 1 : 0,
        IN_FLIGHT_MS,
        BOT_WINDOW_MS,
        departGapOf(limits),
      ),
    )) as [number, number];
    return at === 0 ? null : { at, wait: at - now };
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
    async depart(chatId) {
      const chat = String(chatId);
      const m = `${self}:${member++}`;
      const giveUp = Date.now() + DEPART_MAX_WAIT_MS;
      // When the script that let it leave was sent: Redis ran it, and counted the request as
      // leaving (`left`, by its clock), after this instant.
      let asked = 0;
      try {
        for (;;) {
          asked = performance.now();
          const slot = await departNow(chat, m, Date.now() >= giveUp);
          if (!slot) break;
          // This process's waiters told the same instant would all ask again at once, and all but
          // one be told to wait again: they wake a gap apart instead, one script each.
          const wake = Math.max(performance.now() + slot.wait, lastWake + gap);
          lastWake = wake;
          const wait = wake - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      } catch (error) {
        // Redis does not answer: this process's own count decides, as in `acquire` — one that
        // knows this process's own recent requests (below), so that taking over is no burst.
        options.onError?.(error as Error);
        return fallback.depart(chatId);
      }
      const local = fallback.note?.(chatId);
      return () => {
        local?.();
        if (redis.status !== 'ready') return; // counted as answered IN_FLIGHT_MS after it left
        // The answer came at most `elapsed` after Redis counted the request as leaving: it ends at
        // `left + elapsed` by Redis's clock, or when this script reaches Redis, whichever is first
        // (+1: Redis's milliseconds are whole).
        const elapsed = Math.ceil(performance.now() - asked) + 1;
        void within(
          scripts.dondocTelegramAnswered(`${key}:sent`, `${chatKey(chat)}:sent`, m, elapsed, IN_FLIGHT_MS),
        ).catch((error: unknown) => options.onError?.(error as Error));
      };
    },
    backOff(chatId, seconds) {
      const chat = String(chatId);
      fallback.backOff(chatId, seconds);
      if (redis.status !== 'ready') return;
      void within(
        scripts.dondocTelegramBackOff(
          `${key}:pause`,
          chatKey(chat),
          `${chatKey(chat)}:sent`,
          seconds,
          group(chat),
          limits.groupPerMinute,
          window,
          limits.privateChatIntervalMs,
        ),
      ).catch((error: unknown) => options.onError?.(error as Error));
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
    // Nothing counted: what `acquire` waited for still holds.
    depart: () => Promise.resolve(() => undefined),
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

const SENDING = new Set([
  'sendMessage',
  'sendDocument',
  'sendPhoto',
  'editMessageText',
  'editMessageReplyMarkup',
  'editMessageCaption',
  'copyMessage',
  'forwardMessage',
]);

/**
 * A grammY API transformer: every call that sends to a chat waits for the limiter first (unless
 * the caller paced it already: `pacedByCaller`), and a 429 is waited out (`retry_after`) up to
 * `maxRetries` times — finite, unlike auto-retry's defaults. The last 429 is returned as is.
 */
export function limitTransformer(
  limiter: TelegramLimiter = sharedTelegramLimiter,
  options: { maxRetries?: number; pacedByCaller?: boolean } = {},
): Transformer {
  const maxRetries = options.maxRetries ?? 3;
  return async (prev, method, payload, signal) => {
    const chat = (payload as { chat_id?: number | string } | undefined)?.chat_id;
    const sending = chat !== undefined && SENDING.has(method);
    for (let attempt = 0; ; attempt++) {
      if (sending && (attempt > 0 || !options.pacedByCaller)) await limiter.acquire(chat);
      // Checked again as the request leaves, and counted until its answer (TelegramLimiter.depart).
      const answered = sending ? await limiter.depart(chat) : undefined;
      let res;
      try {
        res = await prev(method, payload, signal);
      } finally {
        answered?.();
      }
      const retryAfter = res.ok ? undefined : res.parameters?.retry_after;
      if (res.ok || res.error_code !== 429 || retryAfter === undefined || attempt >= maxRetries) return res;
      if (chat !== undefined) limiter.backOff(chat, retryAfter);
      else await new Promise((r) => setTimeout(r, retryAfter * 1_000));
    }
  };
}
