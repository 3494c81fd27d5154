import type { Transformer } from 'grammy';
/**
 * Telegram's published limits, kept on our side so that 429 answers stay rare (REFERENCE: about 30
 * messages per second per bot, 1 per second per private chat, 20 per minute per group). Each send
 * reserves the earliest instant that respects all three and waits for it; reservations never
 * block each other more than the limits require (a busy chat does not hold up the others).
 *
 * The limits are per process: with several worker processes sending for one bot, give each a share
 * (`perSecond`), and the 429 handling of the channel covers the rest.
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
