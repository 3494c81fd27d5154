import type { GrammyError } from 'grammy';
import { DeliveryError } from '../types.js';

/**
 * Telegram's answers that mean the chat will not work until someone fixes it (a 403, or a 400 such
 * as "chat not found"): the channel is disabled for the contact. Any other 400 or 403 is about this
 * message (a text Telegram cannot parse or too long, an unknown refusal): retrying cannot help, so
 * the message fails and goes by the next channel, but the chat stays enabled (STYLE §6, §13). Each
 * has its words for people, saying what to do (src/messages/refusal-words.ts).
 */
export const TELEGRAM_DEAD_CHATS = {
  blocked: /bot was blocked by the user/i,
  deactivated: /user is deactivated/i,
  kicked: /bot was kicked/i,
  chatNotFound: /chat not found/i,
  noRights: /have no rights to send/i,
  notStarted: /bot can't initiate conversation/i,
  toBot: /bot can't send messages to bots/i,
  notMember: /bot is not a member/i,
  groupDeleted: /group chat was deleted/i,
} as const;

export type TelegramDeadChat = keyof typeof TELEGRAM_DEAD_CHATS;

const deadChatOf = (description: string): TelegramDeadChat | undefined =>
  (Object.keys(TELEGRAM_DEAD_CHATS) as TelegramDeadChat[]).find((k) => TELEGRAM_DEAD_CHATS[k].test(description));

/**
 * Which dead chat a failure's reason (a {@link DeliveryError}'s message, as kept in the audit log:
 * "Telegram 403: Forbidden: bot was blocked by the user") is; undefined for any other.
 */
export function telegramDeadChat(reason: string): TelegramDeadChat | undefined {
  const m = /^Telegram (400|403): (.*)$/s.exec(reason);
  return m ? deadChatOf(m[2]!) : undefined;
}

/**
 * How a Telegram error answer is handled: a group upgraded to a supergroup names its new chat
 * (`parameters.migrate_to_chat_id`), which the send follows; a dead chat is permanent for the
 * address; any other 400 or 403 is permanent for this message; 429 (still standing after the
 * transformer's retries), 5xx and the rest are temporary, retried by the queue.
 */
export function telegramDeliveryError(error: GrammyError): DeliveryError {
  const text = `Telegram ${error.error_code}: ${error.description}`;
  const migrateTo = error.parameters.migrate_to_chat_id;
  if (migrateTo !== undefined)
    return new DeliveryError(text, { permanent: false, movedTo: { telegramChatId: BigInt(migrateTo) }, cause: error });
  if ((error.error_code === 400 || error.error_code === 403) && deadChatOf(error.description))
    return new DeliveryError(text, { permanent: true, scope: 'address', cause: error });
  if (error.error_code === 400 || error.error_code === 403)
    return new DeliveryError(text, { permanent: true, scope: 'message', cause: error });
  return new DeliveryError(text, { permanent: false, cause: error });
}
