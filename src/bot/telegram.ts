import type { Api } from 'grammy';
import type { ForceReply, InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import type { Button, ChatSender, Notice, Reply } from '#root/commands/service.js';
import type { Db } from '#root/db/client.js';
import type { Logger } from '#root/logger.js';
import { telegramMessagesOf } from '#root/services/chat.js';
import { splitText } from '#root/lib/split-text.js';
import { encodeButton } from '#root/channels/telegram/callback.js';

/** Telegram's limit on a message's text. */
export const TELEGRAM_TEXT_MAX = 4_096;

export const inlineKeyboard = (buttons: Button[][]): InlineKeyboardButton[][] =>
  buttons.map((row) => row.map((b) => ({ text: b.text, callback_data: b.data })));

/**
 * A reply or notice as Telegram messages: the text split at paragraph, line or word boundaries
 * into parts of at most 4,096 characters, the buttons (or the invitation to reply) under the last.
 */
export function telegramMessages(
  m: Reply,
): { text: string; other: { reply_markup?: InlineKeyboardMarkup | ForceReply } }[] {
  const parts = splitText(m.text, TELEGRAM_TEXT_MAX);
  const markup = m.buttons?.length
    ? { reply_markup: { inline_keyboard: inlineKeyboard(m.buttons) } }
    : m.ask
      ? { reply_markup: { force_reply: true as const, input_field_placeholder: m.ask.placeholder } }
      : {};
  return parts.map((text, i) => ({ text, other: i === parts.length - 1 ? markup : {} }));
}

/** Sends a notice to a Telegram chat (see {@link telegramMessages}). */
export function telegramSender(api: Api): ChatSender {
  return async (address: string, notice: Notice) => {
    for (const m of telegramMessages(notice)) await api.sendMessage(Number(address), m.text, m.other);
  };
}

/** Once an obligation is confirmed, every Telegram message that carried its reminders shows who confirmed it, instead of its buttons. */
export function telegramMarkDone(api: Api, db: Db, logger: Logger) {
  return async (obligationId: string, doneText: string) => {
    for (const m of await telegramMessagesOf(db, obligationId)) {
      await api
        .editMessageReplyMarkup(m.chatId, m.messageId, {
          reply_markup: { inline_keyboard: [[{ text: doneText, callback_data: encodeButton('list', obligationId) }]] },
        })
        .catch((error: unknown) =>
          logger.warn({ err: error, obligation: obligationId }, 'could not mark a reminder message as done'),
        );
    }
  };
}
