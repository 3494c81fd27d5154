import { ZALO_RATE_RETRIES_IN_SEND } from '../send-bounds.js';
import { DeliveryError, messageRef, type ChannelAdapter, type OutgoingMessage, type Recipient } from '../types.js';
import { createZaloClient, ZaloApiError, ZaloNetworkError, type ZaloClient } from './client.js';
import { createZaloLimiter, sharedZaloLimiter, ZALO_LIMITS, type ZaloLimiter } from './limiter.js';
import { splitZaloText, ZALO_TEXT_MAX } from './split.js';

export interface ZaloChannelOptions {
  token: string;
  /** Default Zalo's servers; the fake server's root in tests. */
  apiRoot?: string;
  /** Default: the process-wide {@link sharedZaloLimiter}, or a new one when `perSecond`/`perChatIntervalMs` is given. */
  limiter?: ZaloLimiter;
  /** This process's share of the bot's messages per second (default 10, an assumption: docs/channels.md). */
  perSecond?: number;
  /** Spacing between two messages to one chat (default 1,050 ms, an assumption). */
  perChatIntervalMs?: number;
  /**
   * 429 answers waited out inside a send before giving it back to the queue (default
   * {@link ZALO_RATE_RETRIES_IN_SEND}: none, so that a send is one call under its claim's lease).
   */
  maxRateRetries?: number;
  /** Time allowed for one call, in milliseconds (ZALO_TIMEOUT_SECONDS; default 10 s). */
  timeoutMs?: number;
  /** Tests only: another `fetch`. */
  fetch?: typeof fetch;
}

/**
 * Zalo's answers that mean this contact's chat will not work until someone fixes it. Zalo
 * documents none (its error table has only 400/401/403/404/408/429 with generic meanings), so
 * these are our reading of it: 404 "Not found" on a send is the chat; other codes count only when
 * the description names a user or chat that is missing, invalid or has blocked the bot.
 */
const PERMANENT_DESCRIPTION =
  /\b(user|chat|chat_id|recipient|receiver)\b[^.]*\b(not found|not exist|does not exist|invalid|blocked|unavailable)\b|\bblocked\b|bị chặn|đã chặn|không tồn tại/i;

/** Whether Zalo's answer means the contact's chat is dead (see PERMANENT_DESCRIPTION). */
const isDeadChat = (code: number, description: string) =>
  code === 404 || ([400, 403].includes(code) && PERMANENT_DESCRIPTION.test(description));

/**
 * Zalo's dead chats, as people are told of them (src/messages/refusal-words.ts): the recipient
 * blocked the bot; Zalo cannot find them (404); their account is missing or not valid.
 */
export type ZaloDeadChat = 'blocked' | 'notFound' | 'noUser';

/**
 * Which dead chat a failure's reason (a {@link DeliveryError}'s message, as kept in the audit log:
 * "Zalo 404: Not found") is; undefined for any other.
 */
export function zaloDeadChat(reason: string): ZaloDeadChat | undefined {
  const m = /^Zalo (\d+): (.*)$/s.exec(reason);
  if (!m || !isDeadChat(Number(m[1]), m[2]!)) return undefined;
  if (/\bblocked\b|bị chặn|đã chặn/i.test(m[2]!)) return 'blocked';
  return m[1] === '404' ? 'notFound' : 'noUser';
}

/** Why a send failed, as a {@link DeliveryError}: permanent only when the contact's address is at fault. */
export function zaloDeliveryError(error: unknown): DeliveryError | undefined {
  if (error instanceof ZaloApiError) {
    // 401 is the bot's token, 403 is documented as Zalo's internal error, 408/429/5xx pass:
    // none of them is this contact's fault, so none disables the channel for them.
    const text = `Zalo ${error.errorCode}: ${error.description}`;
    const address = isDeadChat(error.errorCode, error.description);
    if (address) return new DeliveryError(text, { permanent: true, scope: 'address', cause: error });
    // Any other 400 ("Bad Request": a parameter of this message refused) cannot succeed on retry:
    // this message fails and goes by the next channel; the chat stays enabled.
    if (error.errorCode === 400) return new DeliveryError(text, { permanent: true, scope: 'message', cause: error });
    return new DeliveryError(text, { permanent: false, cause: error });
  }
  // A call that timed out, or whose connection broke, may have been delivered: the retry is counted
  // as an unknown outcome (README, exactly once). A connection never made cannot have been.
  if (error instanceof ZaloNetworkError) {
    const neverSent =
      !error.timedOut &&
      /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/i.test(`${error.code ?? ''} ${error.message}`);
    return new DeliveryError(error.message, { permanent: false, outcomeUnknown: !neverSent, cause: error });
  }
  return undefined;
}

/** Parts of a long message already delivered, by message, so that a retry in this process resumes after them. */
interface Progress {
  parts: string[];
  delivered: number;
  firstId: string | null;
}
const MAX_PROGRESS = 1_000;

/**
 * Reminders by Zalo: plain text (Zalo has no inline buttons, so the text itself says what to type),
 * split into parts of at most 2,000 characters sent in order, to `to.zaloUserId`. The limiter paces
 * sends before the claim (`pace`) and between parts; a 429 goes back to the queue at once, the
 * limiter holding the chat and the bot for its hint, so that the retry's `pace` waits it out before
 * its claim (src/channels/send-bounds.ts). The external id is the first part's `message_id`.
 *
 * If a later part fails, the parts already delivered are remembered (in this process) and a retry
 * of the same message resumes after them; a retry in another process sends them again.
 */
export function createZaloChannel(
  options: ZaloChannelOptions,
): ChannelAdapter & { transactional: false; client: ZaloClient } {
  const custom = options.perSecond !== undefined || options.perChatIntervalMs !== undefined;
  const limiter =
    options.limiter ??
    (custom
      ? createZaloLimiter({
          perSecond: options.perSecond ?? ZALO_LIMITS.perSecond,
          perChatIntervalMs: options.perChatIntervalMs ?? ZALO_LIMITS.perChatIntervalMs,
        })
      : sharedZaloLimiter);
  const client = createZaloClient({
    token: options.token,
    limiter,
    retry: { maxRetries: options.maxRateRetries ?? ZALO_RATE_RETRIES_IN_SEND },
    ...(options.apiRoot !== undefined ? { apiRoot: options.apiRoot } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.fetch !== undefined ? { fetch: options.fetch } : {}),
  });
  const progress = new Map<string, Progress>();

  const keyOf = (to: Recipient, message: OutgoingMessage) => `${to.contactId}|${messageRef(message)}`;

  return {
    name: 'zalo',
    transactional: false,
    client,
    maxInFlight: options.perSecond ?? ZALO_LIMITS.perSecond,
    async pace(to: Recipient) {
      if (to.zaloUserId != null) await limiter.acquire(to.zaloUserId);
    },
    async send(to: Recipient, message: OutgoingMessage) {
      const chatId = to.zaloUserId;
      if (chatId == null || chatId === '')
        throw new DeliveryError('contact has no linked Zalo user', { permanent: true });
      const parts = splitZaloText(message.text, ZALO_TEXT_MAX);
      if (parts.length === 0) throw new Error('Zalo: the message has no text to send');
      const key = keyOf(to, message);
      let state = progress.get(key);
      // A changed text (re-rendered) starts over.
      if (!state || state.parts.join('\u0000') !== parts.join('\u0000')) state = { parts, delivered: 0, firstId: null };
      const first = state.delivered;
      try {
        for (let i = first; i < parts.length; i++) {
          // `pace` took the turn of the first send of this call; the next parts take their own.
          const sent = await client.sendMessage(chatId, parts[i]!, { paced: i === first });
          state.firstId ??= sent.message_id;
          state.delivered = i + 1;
        }
      } catch (error) {
        if (state.delivered > 0) {
          progress.delete(key);
          progress.set(key, state);
          if (progress.size > MAX_PROGRESS) progress.delete(progress.keys().next().value!);
        }
        throw zaloDeliveryError(error) ?? error;
      }
      progress.delete(key);
      return { externalId: state.firstId };
    },
    async close() {
      progress.clear();
    },
  };
}
