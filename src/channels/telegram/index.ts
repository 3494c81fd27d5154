import { GrammyError, HttpError, type Api } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { Lang } from '#root/domain/wording.js';
import { say } from '#root/messages/chat-words.js';
import {
  DeliveryError,
  messageRef,
  type ChannelAdapter,
  type MessageItem,
  type OutgoingMessage,
  type Recipient,
} from '../types.js';
import { encodeButton } from './callback.js';
import { CallNotSent, createReminderApi } from './fetch.js';
import { splitTelegramHtml } from './html.js';
import { limitTransformer, sharedTelegramLimiter, type TelegramLimiter } from './limiter.js';
import { telegramDeliveryError } from './errors.js';

export { telegramDeliveryError };

/**
 * The Bot API client the channel sends with: the program's (`api`, built by src/composition.ts
 * with TELEGRAM_TIMEOUT_SECONDS), or, without one, a client of its own over `token` and `apiRoot`
 * (a test's channel). The channel installs its pacing on the client, so it is the channel's alone,
 * never the bot's (whose replies pace themselves).
 */
export type TelegramChannelClient =
  | { api: Api }
  | {
      token: string;
      apiRoot: string;
      /**
       * Give up on a call Telegram does not answer after this many seconds (TELEGRAM_TIMEOUT_SECONDS;
       * default 30, grammY's own is 500). It must stay well under the claim's lease
       * (CLAIM_LEASE_SECONDS, 120 s by default; src/config.ts checks it), so that a hung call ends, as
       * one of unknown outcome, before the lease could hand the reminder to another worker, and so
       * that hung calls do not hold the channel's slots for minutes.
       */
      timeoutSeconds?: number;
    };

export type TelegramChannelOptions = TelegramChannelClient & {
  limiter?: TelegramLimiter;
  /** 429 answers waited out before giving the send back to the queue (default 3). */
  maxRateRetries?: number;
};

/** Network failures before a request leaves this host: Telegram cannot have received the message. */
const NEVER_SENT = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT/;

/**
 * Whether a network failure leaves open that Telegram took the message: it timed out, was aborted
 * or the connection broke after the request was written. A call given up before ({@link CallNotSent}:
 * still waiting for its connection) or whose connection never opened (see {@link NEVER_SENT}) did not.
 */
function mayHaveArrived(error: HttpError): boolean {
  if (error.error instanceof CallNotSent) return false;
  const inner = error.error as
    { message?: unknown; code?: unknown; cause?: { message?: unknown; code?: unknown } } | undefined;
  const text = [inner?.message, inner?.code, inner?.cause?.message, inner?.cause?.code]
    .map((x) => String(x ?? ''))
    .join(' ');
  return !NEVER_SENT.test(text);
}

/** Parts of a long message already delivered, by message, so that a retry in this process resumes after them. */
interface Progress {
  parts: string[];
  delivered: number;
  lastId: number | null;
}
const MAX_PROGRESS = 1_000;

/**
 * The buttons under a message of several items: one row per item that asks for confirmation,
 * ✅ and 📅 with its code; an item in `done` shows who closed it instead (`doneText`), its buttons
 * gone (see the bot's edit in place when one is pressed).
 */
export function itemsKeyboard(
  items: MessageItem[],
  done: ReadonlyMap<string, string> = new Map(),
): InlineKeyboardMarkup | undefined {
  const rows = items
    .filter((i) => i.actions)
    .map((i) => {
      const closed = done.get(i.obligationId);
      return closed !== undefined
        ? [{ text: `${i.code}: ${closed}`, callback_data: encodeButton('list', i.obligationId) }]
        : [
            { text: `✅ ${i.code}`, callback_data: encodeButton('done', i.obligationId) },
            { text: `📅 ${i.code}`, callback_data: encodeButton('extend', i.obligationId) },
          ];
    });
  return rows.length ? { inline_keyboard: rows } : undefined;
}

/** The buttons under a reminder that asks for confirmation, in the recipient's language. */
export function reminderKeyboard(message: OutgoingMessage, lang: Lang = 'vi'): InlineKeyboardMarkup | undefined {
  if (message.items) return itemsKeyboard(message.items);
  if (!message.obligationId || !message.actions?.includes('done')) return undefined;
  return {
    inline_keyboard: [
      [
        { text: say(lang, 'button.reminderDone'), callback_data: encodeButton('done', message.obligationId) },
        { text: say(lang, 'button.reminderExtend'), callback_data: encodeButton('extend', message.obligationId) },
      ],
    ],
  };
}

/**
 * Reminders by Telegram through grammY's API client (pointed at `apiRoot`: Telegram's servers or a
 * self-hosted Bot API). Telegram's limits are kept on our side (see limiter.ts) before a claim is
 * taken; a 429 is waited out (`retry_after`) a few times, then handed back to the queue. A blocked
 * bot or a vanished chat is permanent: the contact's next channel is used (see
 * {@link telegramDeliveryError}). A text over Telegram's limit goes as several messages, in order
 * (see {@link splitTelegramHtml}); if a later part fails, the parts already delivered are
 * remembered (in this process) and a retry of the same message resumes after them.
 */
export function createTelegramChannel(
  options: TelegramChannelOptions,
): ChannelAdapter & { transactional: false; api: Api } {
  const api =
    'api' in options
      ? options.api
      : createReminderApi(options.token, { apiRoot: options.apiRoot, timeoutSeconds: options.timeoutSeconds ?? 30 });
  const limiter = options.limiter ?? sharedTelegramLimiter;
  // `pace` (before the claim) takes the first turn; the transformer waits out 429s like the bot's replies.
  api.config.use(limitTransformer(limiter, { maxRetries: options.maxRateRetries ?? 3, pacedByCaller: true }));
  const chatOf = (to: Recipient) => {
    if (to.telegramChatId == null) throw new DeliveryError('contact has no linked Telegram chat', { permanent: true });
    return to.telegramChatId;
  };
  const progress = new Map<string, Progress>();
  return {
    name: 'telegram',
    transactional: false,
    api,
    maxInFlight: 30,
    async pace(to: Recipient) {
      if (to.telegramChatId != null) await limiter.acquire(to.telegramChatId);
    },
    async send(to: Recipient, message: OutgoingMessage) {
      const chatId = chatOf(to);
      const keyboard = reminderKeyboard(message, to.locale);
      // Over Telegram's 4,096 characters: several messages, the buttons under the last.
      const parts = splitTelegramHtml(message.text);
      const key = `${to.contactId}|${chatId}|${messageRef(message)}`;
      let state = progress.get(key);
      if (!state || state.parts.join('\u0000') !== parts.join('\u0000')) state = { parts, delivered: 0, lastId: null };
      const first = state.delivered;
      try {
        for (let i = first; i < parts.length; i++) {
          // `pace` took the turn of the first message of this call; the next parts take their own.
          if (i > first) await limiter.acquire(chatId);
          const last = i === parts.length - 1;
          const sent = await api.sendMessage(Number(chatId), parts[i]!, {
            parse_mode: 'HTML',
            link_preview_options: { is_disabled: true },
            ...(keyboard && last ? { reply_markup: keyboard } : {}),
          });
          state.lastId = sent.message_id;
          state.delivered = i + 1;
        }
      } catch (error) {
        if (state.delivered > 0) {
          progress.delete(key);
          progress.set(key, state);
          if (progress.size > MAX_PROGRESS) progress.delete(progress.keys().next().value!);
        }
        if (error instanceof GrammyError) throw telegramDeliveryError(error);
        if (error instanceof HttpError) {
          throw new DeliveryError(`Telegram unreachable: ${error.message}`, {
            permanent: false,
            outcomeUnknown: mayHaveArrived(error),
            cause: error,
          });
        }
        throw error;
      }
      progress.delete(key);
      // The message with the buttons: the one a press or an edit refers to.
      return { externalId: `${chatId}:${state.lastId}` };
    },
    async close() {
      progress.clear();
    },
  };
}
