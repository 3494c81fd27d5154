import { Api, GrammyError, HttpError } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import { DeliveryError, type ChannelAdapter, type OutgoingMessage, type Recipient } from '../types.js';
import { encodeButton } from './callback.js';
import { limitTransformer, sharedTelegramLimiter, type TelegramLimiter } from './limiter.js';

export interface TelegramChannelOptions {
  token: string;
  apiRoot: string;
  limiter?: TelegramLimiter;
  /** 429 answers waited out before giving the send back to the queue (default 3). */
  maxRateRetries?: number;
  /**
   * Give up on a call Telegram does not answer after this many seconds (TELEGRAM_TIMEOUT_SECONDS;
   * default 30, grammY's own is 500). It must stay well under the claim's lease (120 s), so that a
   * hung call ends, as one of unknown outcome, before the lease could hand the reminder to another
   * worker, and so that hung calls do not hold the channel's slots for minutes.
   */
  timeoutSeconds?: number;
}

/** Network failures before a request leaves this host: Telegram cannot have received the message. */
const NEVER_SENT = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT/;

/** Whether a network failure leaves open that Telegram took the message: it timed out, or the connection broke after the request went. */
function mayHaveArrived(error: HttpError): boolean {
  const inner = error.error as { message?: unknown; code?: unknown; cause?: { message?: unknown; code?: unknown } } | undefined;
  const text = [inner?.message, inner?.code, inner?.cause?.message, inner?.cause?.code].map((x) => String(x ?? '')).join(' ');
  return !NEVER_SENT.test(text);
}

/** Telegram's answers that mean the chat will not work until someone fixes it. */
const PERMANENT = /bot was blocked by the user|chat not found|user is deactivated|bot was kicked|have no rights to send|bot can't initiate conversation/i;

/** The buttons under a reminder that asks for confirmation. */
export function reminderKeyboard(message: OutgoingMessage): InlineKeyboardMarkup | undefined {
  if (!message.obligationId || !message.actions?.includes('done')) return undefined;
  return {
    inline_keyboard: [
      [
        { text: '✅ Đã hoàn thành', callback_data: encodeButton('done', message.obligationId) },
        { text: '📅 Xin gia hạn', callback_data: encodeButton('extend', message.obligationId) },
      ],
    ],
  };
}

/**
 * Reminders by Telegram through grammY's API client (pointed at `apiRoot`: Telegram's servers or a
 * self-hosted Bot API). Telegram's limits are kept on our side (see limiter.ts) before a claim is
 * taken; a 429 is waited out (`retry_after`) a few times, then handed back to the queue. A blocked
 * bot or a vanished chat is permanent: the contact's next channel is used.
 */
export function createTelegramChannel(options: TelegramChannelOptions): ChannelAdapter & { transactional: false; api: Api } {
  const api = new Api(options.token, { apiRoot: options.apiRoot, timeoutSeconds: options.timeoutSeconds ?? 30 });
  const limiter = options.limiter ?? sharedTelegramLimiter;
  // `pace` (before the claim) takes the first turn; the transformer waits out 429s like the bot's replies.
  api.config.use(limitTransformer(limiter, { maxRetries: options.maxRateRetries ?? 3, pacedByCaller: true }));
  const chatOf = (to: Recipient) => {
    if (to.telegramChatId === null) throw new DeliveryError('contact has no linked Telegram chat', { permanent: true });
    return to.telegramChatId;
  };
  return {
    name: 'telegram',
    transactional: false,
    api,
    maxInFlight: 30,
    async pace(to: Recipient) {
      if (to.telegramChatId !== null) await limiter.acquire(to.telegramChatId);
    },
    async send(to: Recipient, message: OutgoingMessage) {
      const chatId = chatOf(to);
      const keyboard = reminderKeyboard(message);
      try {
        const sent = await api.sendMessage(Number(chatId), message.text, {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
          ...(keyboard ? { reply_markup: keyboard } : {}),
        });
        return { externalId: `${chatId}:${sent.message_id}` };
      } catch (error) {
        if (error instanceof GrammyError) {
          // A 429 still standing after the transformer's retries: back to the queue.
          const permanent = error.error_code === 403 || PERMANENT.test(error.description);
          throw new DeliveryError(`Telegram ${error.error_code}: ${error.description}`, { permanent, cause: error });
        }
        if (error instanceof HttpError) {
          throw new DeliveryError(`Telegram unreachable: ${error.message}`, { permanent: false, outcomeUnknown: mayHaveArrived(error), cause: error });
        }
        throw error;
      }
    },
  };
}
